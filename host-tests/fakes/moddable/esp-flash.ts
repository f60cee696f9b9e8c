// The one model of flash for the device-module emulators: the ESP32's SPI flash as ESP-IDF's
// esp_partition_* API sees it, which is what both of the SDK's flash modules call (the legacy
// `flash`, modules/files/flash/esp32/flash.c: flash-module.ts; the ECMA-419 `embedded:storage/flash`,
// modules/io/flash/esp32/flash-esp32.c: sdk/embedded-storage-flash.ts), and `embedded:update` too.
// A chip is a partition table over bytes with NOR semantics: an erase sets every bit of a 4 KB sector
// to 1; programming can only clear bits (writing twice over unerased flash gives the AND of both, and
// no error: ESP-IDF does not verify writes by default; `zeroToOneBits` counts such requests so tests
// can assert nothing relies on them). Power can fail in the middle of a write or an erase (torn: a
// write programs a prefix and an arbitrary subset of the bits it was clearing in the rest of its
// 256-byte page; an erase sets an arbitrary subset of its bits to 1), from a seeded random source;
// then every operation throws PowerLoss until power comes back.
//
// Sources: ESP-IDF components/esp_partition (esp_partition_erase_range demands sector alignment and
// answers ESP_ERR_INVALID_ARG otherwise; reads and writes past the end answer ESP_ERR_INVALID_SIZE).
// No Node imports: the XS scenarios run this file on the XS engine too.
//
// Cost. Programming is emulated byte by byte in JavaScript (an AND per byte), which on XS costs some
// 10 computrons a byte, where the device makes one native call. For benchmarks that meter the code
// above the flash (`npm run bench -- node`), `{ nativeCost: true }` programs bytes known to be erased
// with one typed-array set(): the same result as the AND (x & 0xFF is x). Each sector keeps how far it
// has been programmed since its erase; a write wholly beyond that mark is such a write. Anything else
// (an earlier offset, a sector a torn erase left unknown, raw access through `bytes`) takes the
// byte-by-byte path.
import { PowerLoss } from '../power-loss';

export { PowerLoss };

export const SECTOR_BYTES = 4096;
const PAGE_BYTES = 256;

export const ESP_OK = 0;
export const ESP_FAIL = -1;
export const ESP_ERR_NO_MEM = 0x101;
export const ESP_ERR_INVALID_ARG = 0x102;
export const ESP_ERR_INVALID_STATE = 0x103;
export const ESP_ERR_INVALID_SIZE = 0x104;
export const ESP_ERR_NOT_FOUND = 0x105;
export const ESP_ERR_NOT_SUPPORTED = 0x106;

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

export interface PartitionEntry {
  label: string;
  type: 'app' | 'data' | number;
  subtype: string | number;
  offset: number;
  size: number;
}

/** Parses a partition CSV the way ESP-IDF's gen_esp32part.py reads it (comments, hex or decimal sizes). */
export function parsePartitionTable(csv: string): PartitionEntry[] {
  const entries: PartitionEntry[] = [];
  for (const raw of csv.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const [label, type, subtype, offset, size] = line.split(',').map((field) => field.trim());
    const number = (text: string) => {
      const match = /^(0x[0-9a-f]+|\d+)([KM]?)$/i.exec(text);
      if (!match) throw new Error(`partition ${label}: cannot read "${text}"`);
      return Number(match[1]) * (match[2] === 'K' ? 1024 : match[2] === 'M' ? 1024 * 1024 : 1);
    };
    entries.push({
      label,
      type: type === 'app' || type === 'data' ? type : Number(type),
      subtype: /^(0x[0-9a-f]+|\d+)$/i.test(subtype) ? Number(subtype) : subtype,
      offset: number(offset),
      size: number(size),
    });
  }
  return entries;
}

export class FlashPartition implements PartitionEntry {
  readonly label: string;
  readonly type: 'app' | 'data' | number;
  readonly subtype: string | number;
  readonly offset: number;
  readonly size: number;
  readonly eraseSize = SECTOR_BYTES;
  readonly #flash: EspFlash;
  #bytes: Uint8Array | undefined;
  #eraseCounts: Uint32Array | undefined;
  /** nativeCost: per sector, the offset in it from which every byte is known to be erased. */
  readonly #erasedFrom: Uint32Array | undefined;

  constructor(entry: PartitionEntry, flash: EspFlash) {
    this.label = entry.label;
    this.type = entry.type;
    this.subtype = entry.subtype;
    this.offset = entry.offset;
    this.size = entry.size;
    this.#flash = flash;
    this.#erasedFrom = flash.nativeCost ? new Uint32Array(Math.ceil(this.size / SECTOR_BYTES)) : undefined;
  }

  /** The partition's contents (allocated on first use, erased), for tests that inspect or damage it. */
  get bytes(): Uint8Array {
    this.#erasedFrom?.fill(SECTOR_BYTES); // the caller may change any byte: nothing is known erased any more
    return this.#contents();
  }

  #contents(): Uint8Array {
    return (this.#bytes ??= new Uint8Array(this.size).fill(0xff));
  }

  /** Erases of each sector (wear). */
  get eraseCounts(): Uint32Array {
    return (this.#eraseCounts ??= new Uint32Array(Math.ceil(this.size / SECTOR_BYTES)));
  }

  /** esp_partition_erase_range; power may fail part-way. */
  erase(start: number, length: number): number {
    if (start < 0 || start % SECTOR_BYTES || length % SECTOR_BYTES) return ESP_ERR_INVALID_ARG;
    if (start + length > this.size) return ESP_ERR_INVALID_SIZE;
    const flash = this.#flash;
    const bytes = this.#contents();
    const erasedFrom = this.#erasedFrom;
    if (flash.beginOperation(false)) {
      // Torn: an arbitrary subset of the bits went to 1. Half the time cell by cell at random; half
      // the time whole bytes erased or untouched, a fraction of them anywhere from none to all (so
      // that a header may survive while a state byte next to intact records is reset).
      const fraction = flash.random();
      const byBytes = flash.random() < 0.5;
      for (let i = start; i < start + length; i++) {
        if (flash.random() < fraction) bytes[i] = 0xff;
        else if (!byBytes) bytes[i] |= Math.floor(flash.random() * 256);
      }
      erasedFrom?.fill(SECTOR_BYTES, start / SECTOR_BYTES, (start + length) / SECTOR_BYTES);
      throw new PowerLoss(`power lost while erasing ${this.label} at ${start}`);
    }
    bytes.fill(0xff, start, start + length);
    erasedFrom?.fill(0, start / SECTOR_BYTES, (start + length) / SECTOR_BYTES);
    for (let sector = start / SECTOR_BYTES; sector < (start + length) / SECTOR_BYTES; sector++) this.eraseCounts[sector]++;
    flash.erases++;
    return ESP_OK;
  }

  /** esp_partition_write: programs `length` bytes of `data` (clears bits only); power may fail part-way. */
  write(offset: number, data: Uint8Array, length = data.length): number {
    if (offset < 0 || offset + length > this.size) {
      this.#flash.checkPower();
      return ESP_ERR_INVALID_SIZE;
    }
    const flash = this.#flash;
    const bytes = this.#contents();
    const torn = flash.beginOperation(true);
    const erasedFrom = this.#erasedFrom;
    if (erasedFrom) {
      const sector = Math.floor(offset / SECTOR_BYTES);
      const inSector = offset - sector * SECTOR_BYTES;
      if (!torn && inSector >= erasedFrom[sector] && inSector + length <= SECTOR_BYTES) {
        // Every byte written is erased (0xFF): programming leaves exactly the new bytes.
        bytes.set(length === data.length ? data : this.#prefix(data, length), offset);
        erasedFrom[sector] = inSector + length;
        return ESP_OK;
      }
      // Any other write may leave any byte it touches programmed.
      const last = Math.floor((offset + length - 1) / SECTOR_BYTES);
      for (let s = sector; s <= last; s++) erasedFrom[s] = Math.max(erasedFrom[s], Math.min(SECTOR_BYTES, offset + length - s * SECTOR_BYTES));
    }
    if (torn) {
      // Torn: a prefix got programmed; in the rest of its page, an arbitrary subset of the bits.
      const cut = Math.floor(flash.random() * length);
      const pageEnd = Math.min(length, cut + PAGE_BYTES - ((offset + cut) % PAGE_BYTES));
      for (let i = 0; i < cut; i++) bytes[offset + i] &= data[i];
      for (let i = cut; i < pageEnd; i++) bytes[offset + i] &= data[i] | Math.floor(flash.random() * 256);
      throw new PowerLoss(`power lost while writing ${this.label} at ${offset + cut}`);
    }
    for (let i = 0; i < length; i++) {
      const old = bytes[offset + i];
      let raise = data[i] & ~old & 0xff;
      while (raise) {
        flash.zeroToOneBits += raise & 1;
        raise >>>= 1;
      }
      bytes[offset + i] = old & data[i];
    }
    return ESP_OK;
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

  /** esp_partition_read. */
  read(offset: number, length: number): Uint8Array | number {
    this.#flash.checkPower();
    if (offset < 0 || length < 0 || offset + length > this.size) return ESP_ERR_INVALID_SIZE;
    return this.#contents().slice(offset, offset + length);
  }

  get isOtaApp(): boolean {
    return this.type === 'app' && typeof this.subtype === 'string' && /^ota_\d+$/.test(this.subtype);
  }
  get otaSlot(): number {
    return Number(String(this.subtype).slice(4));
  }
}

/** The whole flash chip: the partitions, and the power. */
export class EspFlash {
  readonly partitions: FlashPartition[];
  readonly #random: () => number;
  /** Operations still allowed before the power fails (undefined: it never does). */
  #remaining: number | undefined;
  /** Whether #remaining counts writes only (NVS items included), or erases too. */
  #countErases = false;
  #powered = true;
  writes = 0;
  erases = 0;
  /** Bits a write asked to raise from 0 to 1 (NOR cannot; the chip keeps them 0). */
  zeroToOneBits = 0;
  /** Operations torn by a power cut. */
  torn = 0;
  /** Programs bytes known to be erased with one set() (see "Cost" above). */
  readonly nativeCost: boolean;

  constructor(table: PartitionEntry[], seed = 1, options: { nativeCost?: boolean } = {}) {
    this.nativeCost = options.nativeCost ?? false;
    this.partitions = table.map((entry) => new FlashPartition(entry, this));
    this.#random = seededRandom(seed);
  }

  find(label: string): FlashPartition | undefined {
    return this.partitions.find((p) => p.label === label);
  }

  /** esp_partition_find_first(type, subtype, label) for data partitions by label, apps by subtype. */
  findFirst(type: PartitionEntry['type'], subtype?: PartitionEntry['subtype'], label?: string): FlashPartition | undefined {
    return this.partitions.find((p) => p.type === type && (subtype === undefined || p.subtype === subtype) && (label === undefined || p.label === label));
  }

  get otaApps(): FlashPartition[] {
    return this.partitions.filter((p) => p.isOtaApp).sort((a, b) => a.otaSlot - b.otaSlot);
  }

  /** Lets `operations` more writes and erases complete; the next one is torn and the power goes. */
  cutPowerAfter(operations: number): void {
    this.#remaining = operations;
    this.#countErases = true;
  }

  /** Power fails during the write after this many more writes (flash writes and NVS items; erases do not count). */
  set powerLossAfterWrites(writes: number | undefined) {
    this.#remaining = writes;
    this.#countErases = false;
  }
  get powerLossAfterWrites(): number | undefined {
    return this.#countErases ? undefined : this.#remaining;
  }

  get powered(): boolean {
    return this.#powered;
  }
  /** Power is off: every flash operation fails until it comes back. */
  get dead(): boolean {
    return !this.#powered;
  }

  /** Power comes back; no cut is pending any more. */
  powerOn(): void {
    this.#powered = true;
    this.#remaining = undefined;
  }

  /** Throws PowerLoss when the power is off. */
  checkPower(): void {
    if (!this.#powered) throw new PowerLoss('the flash has no power');
  }

  /**
   * Before a write (isWrite) or an erase: throws when the power is off, counts the operation, and
   * answers whether it must be torn (the power fails during it).
   */
  beginOperation(isWrite: boolean): boolean {
    this.checkPower();
    if (this.#remaining !== undefined && (isWrite || this.#countErases) && this.#remaining-- <= 0) {
      this.#powered = false;
      this.#remaining = undefined;
      this.torn++;
      return true;
    }
    if (isWrite) this.writes++; // writes that completed
    return false;
  }

  random(): number {
    return this.#random();
  }
}
