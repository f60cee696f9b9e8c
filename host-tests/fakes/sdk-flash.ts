// An emulator of the Moddable SDK's `flash` module as the ESP32 build has it
// (modules/files/flash/flash.js over modules/files/flash/esp32/flash.c, which calls ESP-IDF's
// esp_partition_* functions), on a NOR flash chip that can lose power in the middle of any write or
// erase.
//
// What it follows from the C source:
// - `new Flash(name)` finds a data partition by label, else throws Error("can't find partition");
//   "xs", "running" and "nextota" name other partitions there and are not emulated (they throw).
// - Arguments go through xsmcToInteger (ToInt32: "3" is 3, 1.7 is 1, a symbol throws TypeError).
// - erase(sector) erases bytes [sector × 4096, + 4096); outside the partition: Error("erase failed").
// - read(offset, byteLength) returns a new ArrayBuffer; a negative length throws RangeError (the
//   ArrayBuffer is made before the read); outside the partition: Error("read failed").
// - write(offset, byteLength, buffer): buffer is an ArrayBuffer, a 1-byte typed array or a DataView,
//   else TypeError("invalid buffer"); byteLength <= 0 or beyond the buffer: Error("invalid");
//   outside the partition: Error("write failed").
// - NOR: programming ANDs the new bytes into the old ones (bits only go 1 → 0) and raises no error
//   when asked to set a bit (ESP-IDF does not verify writes by default): `zeroToOneBits` counts such
//   requests so that tests can assert the log never relies on them. Only erase sets bits to 1.
// - blockSize is SPI_FLASH_SEC_SIZE (4096); byteLength is the partition's size. map() is not emulated.
//
// Power loss: cutPowerAfter(n) lets n more writes/erases complete; the next one is torn (a write
// programs a prefix and an arbitrary subset of the bits it was clearing in the rest of its 256-byte
// page; an erase sets an arbitrary subset of bits to 1, cell by cell or byte by byte), then every
// call throws PowerLoss until powerOn(). The randomness is seeded.
//
// Cost. Programming is emulated byte by byte in JavaScript (an AND per byte), which on XS costs some
// 10 computrons a byte; on the device `write` is one native call. For benchmarks that meter the code
// above the flash (`npm run bench -- node`), `{ nativeCost: true }` programs bytes the chip knows to
// be erased with one typed-array set(), the same result as the AND (x & 0xFF is x) at about the cost
// of the native call: the chip keeps, per sector, how far it has been programmed since its erase,
// and a write wholly beyond that mark is such a write. Anything else (an earlier offset, a sector
// a torn erase left in an unknown state, raw access through contents()) takes the byte-by-byte path.
import { PowerLoss } from './power-loss';

export { PowerLoss };

export const SECTOR_BYTES = 4096;
const PAGE_BYTES = 256;

/** A seeded PRNG (mulberry32) in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** xsmcToInteger: ToInt32 after ToNumber; symbols and BigInts cannot be coerced. */
function toInteger(value: unknown): number {
  if (typeof value === 'symbol') throw new TypeError('cannot coerce symbol to integer');
  if (typeof value === 'bigint') throw new TypeError('cannot coerce to integer');
  return Number(value) | 0;
}

/** xsmcGetBufferReadable: the bytes of an ArrayBuffer, a typed array of 1-byte elements, or a DataView. */
function readableBytes(buffer: unknown): Uint8Array {
  if (buffer instanceof Uint8Array) return buffer; // as is: the emulator allocates nothing the C code does not
  if (buffer instanceof ArrayBuffer) return new Uint8Array(buffer);
  if (buffer instanceof Int8Array || buffer instanceof Uint8ClampedArray || buffer instanceof DataView) {
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }
  throw new TypeError('invalid buffer');
}

interface Partition {
  bytes: Uint8Array;
  erases: Uint32Array;
  /** nativeCost: per sector, the offset (in the sector) from which every byte is known to be erased. */
  erasedFrom: Uint32Array | undefined;
}

export class NorFlashChip {
  readonly #partitions = new Map<string, Partition>();
  readonly #random: () => number;
  #remaining: number | undefined;
  #powered = true;
  writes = 0;
  erases = 0;
  /** Bits a write asked to raise from 0 to 1 (NOR cannot; the chip keeps them 0). */
  zeroToOneBits = 0;
  /** Operations torn by a power cut. */
  torn = 0;

  constructor(partitions: Record<string, number>, seed = 1, options: { nativeCost?: boolean } = {}) {
    for (const [name, byteLength] of Object.entries(partitions)) {
      const sectors = Math.ceil(byteLength / SECTOR_BYTES);
      this.#partitions.set(name, {
        bytes: new Uint8Array(byteLength).fill(0xff),
        erases: new Uint32Array(sectors),
        erasedFrom: options.nativeCost ? new Uint32Array(sectors) : undefined,
      });
    }
    this.#random = seededRandom(seed);
  }

  /** `new Flash(name)` on this chip. */
  open(name: string): EmulatedFlash {
    if (typeof name === 'symbol') throw new TypeError('cannot coerce symbol to string'); // xsmcToString
    if (name === 'xs' || name === 'running' || name === 'nextota') throw new Error(`the "${name}" partition is not emulated`);
    const partition = this.#partitions.get(String(name));
    if (!partition) throw new Error("can't find partition");
    return new EmulatedFlash(this, partition);
  }

  /** Lets `operations` more writes/erases complete; the next is torn and the power goes. */
  cutPowerAfter(operations: number): void {
    this.#remaining = operations;
  }

  get powered(): boolean {
    return this.#powered;
  }

  powerOn(): void {
    this.#powered = true;
    this.#remaining = undefined;
  }

  /** Erase count of each sector of a partition (wear). */
  eraseCounts(name: string): Uint32Array {
    return this.#partitions.get(name)!.erases;
  }

  /** The raw contents of a partition (for tests that inspect or damage it). */
  contents(name: string): Uint8Array {
    const partition = this.#partitions.get(name)!;
    partition.erasedFrom?.fill(SECTOR_BYTES); // the caller may change any byte: nothing is known erased any more
    return partition.bytes;
  }

  /** @internal Throws when unpowered; true when this operation must be torn. */
  beginOperation(): boolean {
    if (!this.#powered) throw new PowerLoss('the flash has no power');
    if (this.#remaining === undefined) return false;
    if (this.#remaining-- > 0) return false;
    this.#powered = false;
    this.torn++;
    return true;
  }

  /** @internal */
  checkPower(): void {
    if (!this.#powered) throw new PowerLoss('the flash has no power');
  }

  /** @internal */
  random(): number {
    return this.#random();
  }
}

export class EmulatedFlash {
  readonly #chip: NorFlashChip;
  readonly #partition: Partition;

  constructor(chip: NorFlashChip, partition: Partition) {
    this.#chip = chip;
    this.#partition = partition;
  }

  get byteLength(): number {
    return this.#partition.bytes.length;
  }

  get blockSize(): number {
    return SECTOR_BYTES;
  }

  erase(sector: unknown): void {
    const offset = Math.imul(toInteger(sector), SECTOR_BYTES);
    const size = this.byteLength;
    if (offset < 0 || offset > size || offset + SECTOR_BYTES > size) throw new Error('erase failed');
    const chip = this.#chip;
    const bytes = this.#partition.bytes;
    if (chip.beginOperation()) {
      // Torn: an arbitrary subset of the bits went to 1. Half the time cell by cell at random; half
      // the time whole bytes erased or untouched, a fraction of them anywhere from none to all (so
      // that a header may survive while a state byte next to intact records is reset).
      const fraction = chip.random();
      const byBytes = chip.random() < 0.5;
      for (let i = offset; i < offset + SECTOR_BYTES; i++) {
        if (chip.random() < fraction) bytes[i] = 0xff;
        else if (!byBytes) bytes[i] |= Math.floor(chip.random() * 256);
      }
      if (this.#partition.erasedFrom) this.#partition.erasedFrom[offset / SECTOR_BYTES] = SECTOR_BYTES;
      throw new PowerLoss('power lost while erasing flash');
    }
    bytes.fill(0xff, offset, offset + SECTOR_BYTES);
    if (this.#partition.erasedFrom) this.#partition.erasedFrom[offset / SECTOR_BYTES] = 0;
    this.#partition.erases[offset / SECTOR_BYTES]++;
    chip.erases++;
  }

  read(offset: unknown, byteLength: unknown): ArrayBuffer {
    const start = toInteger(offset);
    const length = toInteger(byteLength);
    if (length < 0) throw new RangeError(`invalid byteLength ${length}`);
    this.#chip.checkPower();
    if (start < 0 || start > this.byteLength || start + length > this.byteLength) throw new Error('read failed');
    return this.#partition.bytes.slice(start, start + length).buffer;
  }

  readString(offset: unknown, byteLength: unknown): string {
    return new TextDecoder().decode(this.read(offset, byteLength));
  }

  write(offset: unknown, byteLength: unknown, buffer: unknown): void {
    // (Numbers and a Uint8Array are taken without a call: the same checks, less metered work on XS.)
    const start = typeof offset === 'number' ? offset | 0 : toInteger(offset);
    const length = typeof byteLength === 'number' ? byteLength | 0 : toInteger(byteLength);
    const source = buffer instanceof Uint8Array ? buffer : readableBytes(buffer);
    if (length <= 0 || source.length < length) throw new Error('invalid');
    const chip = this.#chip;
    const size = this.#partition.bytes.length;
    if (start < 0 || start > size || start + length > size) {
      chip.checkPower();
      throw new Error('write failed');
    }
    const bytes = this.#partition.bytes;
    const erasedFrom = this.#partition.erasedFrom;
    if (erasedFrom) {
      const sector = Math.floor(start / SECTOR_BYTES);
      const inSector = start - sector * SECTOR_BYTES;
      const torn = chip.beginOperation();
      if (!torn && inSector >= erasedFrom[sector] && inSector + length <= SECTOR_BYTES) {
        // Every byte written is erased (0xFF): programming leaves exactly the new bytes.
        bytes.set(length === source.length ? source : this.#prefix(source, length), start);
        erasedFrom[sector] = inSector + length;
        chip.writes++;
        return;
      }
      // Any other write may leave any byte it touches programmed.
      const last = Math.floor((start + length - 1) / SECTOR_BYTES);
      for (let s = sector; s <= last; s++) erasedFrom[s] = Math.max(erasedFrom[s], Math.min(SECTOR_BYTES, start + length - s * SECTOR_BYTES));
      this.#program(start, length, source, torn);
      return;
    }
    this.#program(start, length, source, chip.beginOperation());
  }

  #prefixOf: Uint8Array | undefined;
  #prefixView: Uint8Array = new Uint8Array(0);

  /** The first `length` bytes of `source` as a view, kept for the next write of the same (no allocation in a steady state). */
  #prefix(source: Uint8Array, length: number): Uint8Array {
    if (this.#prefixOf !== source || this.#prefixView.length !== length) {
      this.#prefixOf = source;
      this.#prefixView = source.subarray(0, length);
    }
    return this.#prefixView;
  }

  /** NOR programming, byte by byte: each byte ANDed into the old one; `torn`: the power goes midway. */
  #program(start: number, length: number, source: Uint8Array, torn: boolean): void {
    const chip = this.#chip;
    const bytes = this.#partition.bytes;
    if (torn) {
      // Torn: a prefix got programmed; in the rest of its page, an arbitrary subset of the bits.
      const cut = Math.floor(chip.random() * length);
      const pageEnd = Math.min(length, cut + PAGE_BYTES - ((start + cut) % PAGE_BYTES));
      for (let i = 0; i < cut; i++) bytes[start + i] &= source[i];
      for (let i = cut; i < pageEnd; i++) bytes[start + i] &= source[i] | Math.floor(chip.random() * 256);
      throw new PowerLoss('power lost while writing flash');
    }
    for (let i = 0; i < length; i++) {
      const old = bytes[start + i];
      let raise = source[i] & ~old & 0xff;
      while (raise) {
        chip.zeroToOneBits += raise & 1;
        raise >>>= 1;
      }
      bytes[start + i] = old & source[i];
    }
    chip.writes++;
  }
}
