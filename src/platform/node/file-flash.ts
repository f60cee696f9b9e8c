// The outbox's flash partition on a computer: one file under the node's state directory, with the
// device's rules (NOR: a write only clears bits; erase sets a 4 KB sector back to ones), so the same
// log code runs on it as on the ESP32. Each write goes to the file at once: a node killed at any
// moment (kill -9, the soak's power loss) finds in the file everything its writes had returned.
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { FlashArea } from '../../ports';

export const OUTBOX_PARTITION_BYTES = 1024 * 1024;

export class FileFlash implements FlashArea {
  readonly file: string;
  readonly byteLength: number;
  readonly blockSize = 4096;
  readonly #fd: number;
  readonly #page = new Uint8Array(4096);

  /** Opens (or creates, erased) a partition of `byteLength` bytes in `file`. */
  constructor(file: string, byteLength = OUTBOX_PARTITION_BYTES) {
    this.file = file;
    this.byteLength = byteLength;
    mkdirSync(path.dirname(file), { recursive: true });
    this.#fd = openSync(file, existsSync(file) ? 'r+' : 'w+');
    const size = fstatSync(this.#fd).size;
    if (size < byteLength) {
      // New (or shorter): the rest is erased flash.
      const ones = new Uint8Array(byteLength - size).fill(0xff);
      writeSync(this.#fd, ones, 0, ones.length, size);
    }
  }

  #check(offset: number, byteLength: number, operation: string): void {
    if (!(Number.isInteger(offset) && Number.isInteger(byteLength) && offset >= 0 && byteLength >= 0 && offset + byteLength <= this.byteLength)) {
      throw new Error(`${operation} failed: bytes ${offset}..${offset + byteLength} are outside the ${this.byteLength}-byte partition`);
    }
  }

  erase(sector: number): void {
    this.#check(sector * this.blockSize, this.blockSize, 'erase');
    writeSync(this.#fd, this.#page.fill(0xff), 0, this.blockSize, sector * this.blockSize);
  }

  read(offset: number, byteLength: number): ArrayBuffer {
    this.#check(offset, byteLength, 'read');
    const bytes = new Uint8Array(byteLength);
    readSync(this.#fd, bytes, 0, byteLength, offset);
    return bytes.buffer;
  }

  write(offset: number, byteLength: number, buffer: ArrayBuffer | Uint8Array): void {
    const source = buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : buffer;
    if (!(byteLength > 0 && source.length >= byteLength)) throw new Error('invalid');
    this.#check(offset, byteLength, 'write');
    const old = new Uint8Array(byteLength);
    readSync(this.#fd, old, 0, byteLength, offset);
    for (let i = 0; i < byteLength; i++) old[i] &= source[i]; // NOR: bits only go from 1 to 0
    writeSync(this.#fd, old, 0, byteLength, offset);
  }

  close(): void {
    closeSync(this.#fd);
  }
}
