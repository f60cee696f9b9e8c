// The Moddable SDK's legacy `flash` module as the ESP32 build has it (modules/files/flash/flash.js
// over modules/files/flash/esp32/flash.c), over the one flash model (esp-flash.ts). The ESP32 outbox
// (src/platform/moddable/esp32/outbox-flash.ts) uses it; `embedded:update` and the firmware's update
// code use the ECMA-419 `embedded:storage/flash` (sdk/embedded-storage-flash.ts) on the same chip.
//
// What it follows from flash.c, which is a thin layer over esp_partition_*:
// - `new Flash(name)`: "xs" is the partition of type 0x40 subtype 1, "running" and "nextota" the
//   OTA app slots, anything else a data partition by label; none → Error("can't find partition").
// - Arguments go through xsmcToInteger (ToInt32: "3" is 3, 1.7 is 1, a symbol throws TypeError).
// - erase(sector): esp_partition_erase_range(sector × 4096, 4096), failing → Error("erase failed").
// - read(offset, byteLength): the ArrayBuffer is made first (a negative length throws RangeError),
//   then esp_partition_read; failing → Error("read failed").
// - write(offset, byteLength, buffer): buffer through xsmcGetBufferReadable (an ArrayBuffer, a 1-byte
//   typed array or a DataView, else TypeError "invalid buffer"); byteLength <= 0 or beyond the
//   buffer → Error("invalid"); esp_partition_write failing → Error("write failed").
// - blockSize is SPI_FLASH_SEC_SIZE (4096); byteLength is the partition's size. map() is not emulated.
// No Node imports: the XS scenarios use NorFlashChip on the XS engine.
import { ESP_OK, EspFlash, PowerLoss, seededRandom, SECTOR_BYTES, type FlashPartition, type PartitionEntry } from './esp-flash';
import { bufferBytes, toCString, toInteger } from './xs-values';

export { PowerLoss, seededRandom, SECTOR_BYTES };

/** The partitions flash.c can name, on a chip that may have OTA slots. */
export interface FlashChipView {
  flash: EspFlash;
  running?: () => FlashPartition;
  nextOta?: () => FlashPartition;
}

/** xs_flash: the partition a name opens, or Error("can't find partition"). */
export function findFlashPartition(chip: FlashChipView, name: unknown): FlashPartition {
  if (typeof name === 'symbol') throw new TypeError('cannot coerce symbol to string'); // xsmcToString
  const label = toCString(name);
  let partition: FlashPartition | undefined;
  if (label === 'xs') partition = chip.flash.findFirst(0x40, 1);
  else if (label === 'running') partition = chip.running?.();
  else if (label === 'nextota') partition = chip.nextOta?.();
  else partition = chip.flash.partitions.find((p) => p.type === 'data' && p.label === label);
  if (!partition) throw new Error("can't find partition");
  return partition;
}

/** One `flash` instance: the host chunk of flash.c holds the partition. */
export class FlashModule {
  readonly #partition: FlashPartition;

  constructor(partition: FlashPartition) {
    this.#partition = partition;
  }

  get byteLength(): number {
    return this.#partition.size;
  }

  get blockSize(): number {
    return SECTOR_BYTES;
  }

  erase(sector: unknown): void {
    const start = Math.imul(toInteger(sector), SECTOR_BYTES);
    if (this.#partition.erase(start, SECTOR_BYTES) !== ESP_OK) throw new Error('erase failed');
  }

  read(offset: unknown, byteLength: unknown): ArrayBuffer {
    const start = toInteger(offset);
    const length = toInteger(byteLength);
    if (length < 0) throw new RangeError(`invalid byteLength ${length}`); // xsmcSetArrayBuffer first
    const data = this.#partition.read(start, length);
    if (typeof data === 'number') throw new Error('read failed');
    return data.buffer as ArrayBuffer;
  }

  readString(offset: unknown, byteLength: unknown): string {
    return new TextDecoder().decode(this.read(offset, byteLength));
  }

  write(offset: unknown, byteLength: unknown, buffer: unknown): void {
    // (Numbers and a Uint8Array are taken without a call: the same checks, less metered work on XS.)
    const start = typeof offset === 'number' ? offset | 0 : toInteger(offset);
    const length = typeof byteLength === 'number' ? byteLength | 0 : toInteger(byteLength);
    const source = buffer instanceof Uint8Array ? buffer : bufferBytes(buffer);
    if (length <= 0 || source.length < length) throw new Error('invalid');
    if (this.#partition.write(start, source, length) !== ESP_OK) throw new Error('write failed');
  }
}

/**
 * A bare flash chip of data partitions (name → bytes, laid out one after the other), for tests of
 * the outbox's log that need no whole device: `open(name)` is `new Flash(name)` on it.
 */
export class NorFlashChip extends EspFlash {
  constructor(partitions: Record<string, number>, seed = 1, options: { nativeCost?: boolean } = {}) {
    let offset = 0;
    const table: PartitionEntry[] = Object.entries(partitions).map(([label, size]) => {
      const entry: PartitionEntry = { label, type: 'data', subtype: 0x99, offset, size };
      offset += Math.ceil(size / SECTOR_BYTES) * SECTOR_BYTES;
      return entry;
    });
    super(table, seed, options);
  }

  /** `new Flash(name)` on this chip ("running" and "nextota": it has no app slots). */
  open(name: string): FlashModule {
    return new FlashModule(findFlashPartition({ flash: this }, name));
  }

  /** Erase count of each sector of a partition (wear). */
  eraseCounts(name: string): Uint32Array {
    return this.find(name)!.eraseCounts;
  }

  /** The raw contents of a partition (for tests that inspect or damage it). */
  contents(name: string): Uint8Array {
    return this.find(name)!.bytes;
  }
}
