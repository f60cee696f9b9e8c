// Emulator of the Moddable SDK's `embedded:storage/flash` on ESP32: modules/io/flash/esp32/flash-esp32.js
// and flash-esp32.c. Partitions are opened by name: "xs" (type 0x40, subtype 1), "running" (the app
// that runs), "nextota" (esp_ota_get_next_update_partition), else a data partition by label.
// `embedded:update` takes the object this returns as its `partition`.
//
// Contract kept (flash-esp32.c):
// - open: no "path" → Error "no path"; unknown name → Error "can't find partition"; mode other than
//   "r" or "r+" → Error "invalid mode"; a format other than "buffer" → RangeError "unsupported".
// - eraseBlock/write on a read-only ("r") partition → Error "read-only"; a failed esp_partition_*
//   call → Error "erase failed" / "read failed" / "write failed". The JavaScript wrapper always
//   passes both arguments, so eraseBlock(start) alone asks to erase up to block 0 and fails.
// - after close(), every method but close() throws SyntaxError "C: xsGetHostChunk: invalid host data".
import { currentDevice } from '../esp32-device';
import { ESP_OK, type FlashPartition } from '../esp-flash';
import { bufferBytes, closedHostChunk, formatIsBuffer, has, toCString, toInteger } from '../xs-values';

interface FlashRecord {
  partition: FlashPartition;
  readOnly: boolean;
}

const records = new WeakMap<Flash, FlashRecord | null>();

/** getESP32FlashPartition (flash-esp32.c), for embedded:update: the partition and whether it is writable. */
export function flashPartitionOf(value: unknown): { partition: FlashPartition; writable: boolean } {
  if (!(value instanceof Flash)) throw new SyntaxError('C: xsGetHostChunk: not a host object');
  const record = records.get(value);
  if (!record) throw closedHostChunk();
  return { partition: record.partition, writable: !record.readOnly };
}

function recordOf(flash: Flash): FlashRecord {
  const record = records.get(flash);
  if (!record) throw closedHostChunk();
  return record;
}

export class Flash {
  constructor() {
    throw new TypeError();
  }

  close(): void {
    if (records.get(this)) records.set(this, null);
  }

  eraseBlock(start: unknown, end?: unknown): void {
    const { partition, readOnly } = recordOf(this);
    if (readOnly) throw new Error('read-only');
    const first = toInteger(start);
    const stop = toInteger(end); // the wrapper passes `end` even when the caller did not
    const length = (stop - first) * partition.eraseSize;
    if (length <= 0 || partition.erase(first * partition.eraseSize, length) !== ESP_OK) throw new Error('erase failed');
  }

  read(byteLength: unknown, byteOffset: unknown): ArrayBuffer | number {
    const { partition } = recordOf(this);
    const position = toInteger(byteOffset);
    const bytes = typeof byteLength === 'number' ? new Uint8Array(toInteger(byteLength)) : bufferBytes(byteLength);
    const data = partition.read(position, bytes.length);
    if (typeof data === 'number') throw new Error('read failed');
    bytes.set(data);
    return typeof byteLength === 'number' ? (bytes.buffer as ArrayBuffer) : bytes.length;
  }

  write(buffer: unknown, byteOffset: unknown): void {
    const { partition, readOnly } = recordOf(this);
    if (readOnly) throw new Error('read-only');
    const position = toInteger(byteOffset);
    if (partition.write(position, bufferBytes(buffer)) !== ESP_OK) throw new Error('write failed');
  }

  status(): { size: number; blockLength: number; blocks: number } {
    const { partition } = recordOf(this);
    return { size: partition.size, blockLength: partition.eraseSize, blocks: partition.size / partition.eraseSize };
  }

  get format(): string {
    return 'buffer';
  }
  set format(value: unknown) {
    if (value != 'buffer') throw new RangeError('invalid');
  }
}

function open(options: unknown): Flash {
  if (!has(options, 'path')) throw new Error('no path');
  const name = toCString((options as { path: unknown }).path);
  const device = currentDevice();
  let partition: FlashPartition | undefined;
  if (name === 'xs') partition = device.flash.findFirst(0x40, 1);
  else if (name === 'running') partition = device.ota.getRunningPartition();
  else if (name === 'nextota') partition = device.ota.getNextUpdatePartition();
  else partition = device.flash.partitions.find((p) => p.type === 'data' && p.label === name);
  if (!partition) throw new Error("can't find partition");
  let readOnly = false;
  if (has(options, 'mode')) {
    const mode = toCString((options as { mode: unknown }).mode);
    if (mode === 'r') readOnly = true;
    else if (mode !== 'r+') throw new Error('invalid mode');
  }
  if (!formatIsBuffer(options as object)) throw new RangeError('unsupported');
  const flash = Object.create(Flash.prototype) as Flash;
  records.set(flash, { partition, readOnly });
  return flash;
}

export default Object.freeze({
  open,
  *[Symbol.iterator]() {
    for (const partition of currentDevice().flash.partitions) yield partition.label;
  },
});
