// A flash partition in RAM with NOR rules (a write only clears bits; erase sets a 4 KB sector back to
// ones), for where there is no flash module (the desktop simulator) or no outbox partition: the log
// works the same, but does not survive a restart.
import type { FlashArea } from "ports";

const SECTOR = 4096;

export function ramFlash(sectors: number): FlashArea {
  const bytes = new Uint8Array(sectors * SECTOR).fill(0xff);
  const check = (offset: number, length: number, what: string) => {
    if (!(offset >= 0 && length >= 0 && offset + length <= bytes.length)) throw new Error(`${what} failed`);
  };
  return {
    byteLength: bytes.length,
    blockSize: SECTOR,
    erase(sector) {
      check(sector * SECTOR, SECTOR, "erase");
      bytes.fill(0xff, sector * SECTOR, (sector + 1) * SECTOR);
    },
    read(offset, byteLength) {
      check(offset, byteLength, "read");
      return bytes.slice(offset, offset + byteLength).buffer;
    },
    write(offset, byteLength, buffer) {
      const source = buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : buffer;
      if (!(byteLength > 0 && source.length >= byteLength)) throw new Error("invalid");
      check(offset, byteLength, "write");
      for (let i = 0; i < byteLength; i++) bytes[offset + i] &= source[i];
    },
  };
}
