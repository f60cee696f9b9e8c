// The outbox's flash partition on the ESP32: the "outbox" data partition of
// boards/esp32/partitions.csv (1 MB), through the SDK's flash module (modules/files/flash), whose
// erase/read/write/blockSize/byteLength are the FlashArea port as they are.
import Flash from "flash";
import type { FlashArea } from "ports";

export const OUTBOX_PARTITION = "outbox";

export function openOutboxFlash(): FlashArea {
  return new Flash(OUTBOX_PARTITION);
}
