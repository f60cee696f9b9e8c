// Emulator of the Moddable SDK's `embedded:update` on ESP32: modules/io/update/esp32/update-esp32.js
// and update-esp32.c, over the emulated ESP-IDF OTA API (../esp-idf-ota.ts).
//
// Contract kept (update-esp32.c):
// - open({partition, byteLength, mode}): no partition → Error "no partition"; a partition that is not
//   an embedded:storage/flash object → SyntaxError from the host-chunk check; read-only → Error
//   "read-only partition"; mode "a" (the default: append) or "w", else RangeError "invalid mode"; a
//   format other than "buffer" → RangeError "unsupported"; byteLength NaN, negative, over 2^32 - 1
//   or larger than the partition → RangeError "invalid byteLength". Append mode ignores byteLength
//   and erases as it writes (OTA_WITH_SEQUENTIAL_WRITES); "w" erases byteLength rounded up to 4 KB
//   at once (no byteLength: the whole partition). esp_ota_begin failing → Error "begin failed".
// - write(buffer, byteOffset): the JavaScript wrapper always passes byteOffset, so in append mode
//   *every* write throws Error "offset not allowed". In "w" mode the offset is a number in
//   [0, 2^32 - 1], else RangeError "invalid offset" (the C code lets NaN through to a cast with
//   undefined behaviour; here it is refused, as the SDK's mac implementation does); the data goes
//   to esp_ota_write_with_offset, which erases nothing (writing twice over the same bytes gives the
//   AND of both, as NOR flash does); failure → Error "write failed".
// - complete(): esp_ota_end (verifies the image) then esp_ota_set_boot_partition; "end failed" or
//   "can't change boot partition". After complete, even a failed one, write and complete throw
//   Error "already complete".
// - close(): aborts an unfinished update (esp_ota_abort); any number of times. After close, write and
//   complete throw SyntaxError "C: xsGetHostChunk: invalid host data".
import { currentDevice } from '../esp32-device';
import { ESP_OK, type FlashPartition } from '../esp-flash';
import { OTA_SIZE_UNKNOWN, OTA_WITH_SEQUENTIAL_WRITES } from '../esp-idf-ota';
import { bufferBytes, closedHostChunk, formatIsBuffer, has, toCString, toNumber } from '../xs-values';
import { flashPartitionOf } from './embedded-storage-flash';

interface UpdateRecord {
  /** The esp_ota handle; 0 once complete() ran. */
  ota: number;
  partition: FlashPartition;
  append: boolean;
}

const records = new WeakMap<Update, UpdateRecord | null>();

function recordOf(update: Update): UpdateRecord {
  const record = records.get(update);
  if (!record) throw closedHostChunk();
  return record;
}

export class Update {
  constructor() {
    throw new TypeError();
  }

  close(): void {
    const record = records.get(this);
    if (!record) return;
    if (record.ota) currentDevice().ota.abort(record.ota);
    records.set(this, null);
  }

  complete(): void {
    const record = recordOf(this);
    if (!record.ota) throw new Error('already complete');
    const ota = currentDevice().ota;
    const err = ota.end(record.ota);
    record.ota = 0;
    if (err !== ESP_OK) throw new Error('end failed');
    if (ota.setBootPartition(record.partition) !== ESP_OK) throw new Error("can't change boot partition");
  }

  write(buffer: unknown, byteOffset?: unknown): void {
    const record = recordOf(this);
    if (!record.ota) throw new Error('already complete');
    const ota = currentDevice().ota;
    let err: number;
    if (record.append) {
      // xsmcArgc is 2 here whatever the caller passed: update-esp32.js forwards byteOffset always.
      throw new Error('offset not allowed');
    } else {
      const offset = toNumber(byteOffset);
      if (!(offset >= 0 && offset <= 0xffffffff)) throw new RangeError('invalid offset');
      err = ota.writeWithOffset(record.ota, bufferBytes(buffer), Math.trunc(offset));
    }
    if (err !== ESP_OK) throw new Error('write failed');
  }

  get format(): string {
    return 'buffer';
  }
  set format(value: unknown) {
    if (value != 'buffer') throw new RangeError('invalid');
  }
}

function open(options: unknown): Update {
  if (!has(options, 'partition')) throw new Error('no partition');
  const { partition, writable } = flashPartitionOf((options as { partition: unknown }).partition);
  if (!writable) throw new Error('read-only partition');
  let append = true;
  if (has(options, 'mode')) {
    const mode = toCString((options as { mode: unknown }).mode);
    if (mode === 'w') append = false;
    else if (mode !== 'a') throw new RangeError('invalid mode');
  }
  if (!formatIsBuffer(options as object)) throw new RangeError('unsupported');
  let byteLength = OTA_SIZE_UNKNOWN;
  if (has(options, 'byteLength')) {
    const value = toNumber((options as { byteLength: unknown }).byteLength);
    if (Number.isNaN(value) || value < 0 || value > 0xffffffff || value > partition.size) throw new RangeError('invalid byteLength');
    byteLength = Math.trunc(value);
  }
  if (append) byteLength = OTA_WITH_SEQUENTIAL_WRITES;
  const { err, handle } = currentDevice().ota.begin(partition, byteLength);
  if (err !== ESP_OK) throw new Error('begin failed');
  const update = Object.create(Update.prototype) as Update;
  records.set(update, { ota: handle!, partition, append });
  return update;
}

export default Object.freeze({ open });
