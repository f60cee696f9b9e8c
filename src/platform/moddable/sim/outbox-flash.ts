// The outbox's flash partition in the desktop simulator, which has no flash module: 256 KB of RAM with
// the same NOR rules. The log works as on the device, but a restart of the simulator starts it empty.
import type { FlashArea } from "ports";
import { ramFlash } from "platform/moddable/ram-flash";

export function openOutboxFlash(): FlashArea {
  return ramFlash(64);
}
