// The outbox's flash partition on the ESP32: the "outbox" data partition of
// boards/esp32/partitions.csv (1 MB), through the SDK's flash module (modules/files/flash), whose
// erase/read/write/blockSize/byteLength are the FlashArea port as they are. A board flashed with an
// older partition table has no such partition: the node then keeps its outbox in RAM (64 KB) and says
// so, rather than not fly.
import Flash from "flash";
import type { FlashArea } from "ports";
import { ramFlash } from "platform/moddable/ram-flash";

export const OUTBOX_PARTITION = "outbox";

export function openOutboxFlash(): FlashArea {
  try {
    return new Flash(OUTBOX_PARTITION);
  } catch (error) {
    trace(`outbox: no "${OUTBOX_PARTITION}" flash partition (${(error as Error).message}): flash the partition table of boards/esp32; until then the outbox is in RAM and does not survive a power loss\n`);
    return ramFlash(16);
  }
}
