// The ESP32's SPI flash as ESP-IDF's esp_partition_* API sees it: the partition table of
// boards/esp32/partitions.csv, 4 KB erase sectors, NOR semantics (an erase sets every bit of a sector
// to 1; programming can only clear bits, so writing twice over unerased flash gives the AND of both),
// and power that can fail in the middle of a write (a torn write: the first bytes are programmed, one
// byte half-way, the rest untouched).
//
// Sources: ESP-IDF components/esp_partition (esp_partition_erase_range demands sector alignment and
// answers ESP_ERR_INVALID_ARG otherwise; reads and writes past the end answer ESP_ERR_INVALID_SIZE).
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const SECTOR_BYTES = 4096;

export const ESP_OK = 0;
export const ESP_FAIL = -1;
export const ESP_ERR_NO_MEM = 0x101;
export const ESP_ERR_INVALID_ARG = 0x102;
export const ESP_ERR_INVALID_STATE = 0x103;
export const ESP_ERR_INVALID_SIZE = 0x104;
export const ESP_ERR_NOT_FOUND = 0x105;
export const ESP_ERR_NOT_SUPPORTED = 0x106;

/** The device lost power: the firmware that was running stops at this point. */
export class PowerLoss extends Error {
  readonly code = 'POWER_LOSS';
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

export const BOARD_PARTITIONS_CSV = path.resolve(import.meta.dirname, '../../../boards/esp32/partitions.csv');

export class FlashPartition implements PartitionEntry {
  readonly label: string;
  readonly type: 'app' | 'data' | number;
  readonly subtype: string | number;
  readonly offset: number;
  readonly size: number;
  readonly eraseSize = SECTOR_BYTES;
  readonly #flash: EspFlash;
  #bytes: Uint8Array | undefined;

  constructor(entry: PartitionEntry, flash: EspFlash) {
    this.label = entry.label;
    this.type = entry.type;
    this.subtype = entry.subtype;
    this.offset = entry.offset;
    this.size = entry.size;
    this.#flash = flash;
  }

  /** The partition's contents (allocated on first use, erased). */
  get bytes(): Uint8Array {
    return (this.#bytes ??= new Uint8Array(this.size).fill(0xff));
  }

  /** esp_partition_erase_range. */
  erase(start: number, length: number): number {
    if (start % SECTOR_BYTES || length % SECTOR_BYTES) return ESP_ERR_INVALID_ARG;
    if (start + length > this.size) return ESP_ERR_INVALID_SIZE;
    this.#flash.beforeFlashOperation();
    this.bytes.fill(0xff, start, start + length);
    this.#flash.erases++;
    return ESP_OK;
  }

  /** esp_partition_write: programs bytes (clears bits only); power may fail part-way. */
  write(offset: number, data: Uint8Array): number {
    if (offset < 0 || offset + data.length > this.size) return ESP_ERR_INVALID_SIZE;
    const tornAt = this.#flash.beforeFlashWrite(data.length);
    const target = this.bytes;
    const end = tornAt ?? data.length;
    for (let i = 0; i < end; i++) target[offset + i] &= data[i];
    if (tornAt !== undefined) {
      if (tornAt < data.length) target[offset + tornAt] &= data[tornAt] | 0xf0; // half-programmed byte
      throw new PowerLoss(`power lost while writing ${this.label} at ${offset + tornAt}`);
    }
    return ESP_OK;
  }

  /** esp_partition_read. */
  read(offset: number, length: number): Uint8Array | number {
    if (offset < 0 || offset + length > this.size) return ESP_ERR_INVALID_SIZE;
    return this.bytes.slice(offset, offset + length);
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
  /** Power fails during the flash write after this many more writes (undefined: never). */
  powerLossAfterWrites: number | undefined;
  writes = 0;
  erases = 0;
  /** Power is off: every flash operation fails until the device boots again. */
  dead = false;

  constructor(table: PartitionEntry[] = parsePartitionTable(readFileSync(BOARD_PARTITIONS_CSV, 'utf8'))) {
    this.partitions = table.map((entry) => new FlashPartition(entry, this));
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

  beforeFlashOperation(): void {
    if (this.dead) throw new PowerLoss('the device has no power');
  }

  /** Counts a write; returns where it tears when power fails during it. */
  beforeFlashWrite(length: number): number | undefined {
    this.beforeFlashOperation();
    this.writes++;
    if (this.powerLossAfterWrites === undefined) return undefined;
    if (this.powerLossAfterWrites-- > 0) return undefined;
    this.dead = true;
    this.powerLossAfterWrites = undefined;
    return Math.floor(length / 2);
  }
}
