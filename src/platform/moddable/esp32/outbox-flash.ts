// The outbox's flash partition on the ESP32: the "outbox" data partition of
// boards/esp32/partitions.csv (1 MB), through the SDK's flash module (modules/files/flash), whose
// erase/read/write/blockSize/byteLength are the FlashArea port. The SDK's typings let read() return a
// HostBuffer (other ports map flash); the ESP32's xs_flash_read (esp32/flash.c) always allocates an
// ArrayBuffer, which is what the port promises. A board flashed with an
// older partition table has no such partition: the node then keeps its outbox in RAM (64 KB) and says
// so, rather than not fly.
import Flash from "flash";
import type { FlashArea } from "ports";
import { ramFlash } from "platform/moddable/ram-flash";

export const OUTBOX_PARTITION = "outbox";

export function openOutboxFlash(): FlashArea {
  try {
    const flash = new Flash(OUTBOX_PARTITION);
    return {
      byteLength: flash.byteLength,
      blockSize: flash.blockSize,
      erase: (sector) => flash.erase(sector),
      read: (offset, byteLength) => flash.read(offset, byteLength) as ArrayBuffer,
      write: (offset, byteLength, buffer) => flash.write(offset, byteLength, buffer),
    };
  } catch (error) {
    trace(`outbox: no "${OUTBOX_PARTITION}" flash partition (${(error as Error).message}): flash the partition table of boards/esp32; until then the outbox is in RAM and does not survive a power loss\n`);
    return ramFlash(16);
  }
}
