// ESP-IDF application images, as esp_ota_write() and esp_ota_end() see them: a 24-byte header
// beginning with the magic byte 0xE9, segments (load address, length, data; the first carries the
// app descriptor with the version string), a checksum byte after 16-byte padding, and the SHA-256 of
// everything before it appended. esp_ota_end() refuses an image that fails this check
// (esp_image_verify in ESP-IDF's bootloader_support/src/esp_image_format.c), and the bootloader
// will not start one either.
//
// The emulators use it so that a torn write, a byte written twice over unerased flash, or a slot
// that was never finished fails where the device would fail: at esp_ota_end, or at boot.
import { createHash } from 'node:crypto';

export const ESP_IMAGE_MAGIC = 0xe9;
const HEADER_BYTES = 24;
const SEGMENT_HEADER_BYTES = 8;
const MAX_SEGMENTS = 16;
const APP_DESC_MAGIC = 0xabcd5432;
const CHECKSUM_SEED = 0xef;

/** An application image of about `sizeBytes` (at least the header, descriptor and hash). */
export function makeEspImage(version: string, sizeBytes = 64 * 1024, seed = 1): Uint8Array {
  const appDesc = new Uint8Array(256);
  const descView = new DataView(appDesc.buffer);
  descView.setUint32(0, APP_DESC_MAGIC, true);
  for (let i = 0; i < version.length && i < 31; i++) appDesc[16 + i] = version.charCodeAt(i);
  const project = 'balloon-altimeter';
  for (let i = 0; i < project.length; i++) appDesc[48 + i] = project.charCodeAt(i);
  const fixed = HEADER_BYTES + 2 * SEGMENT_HEADER_BYTES + appDesc.length + 16 + 32;
  const codeBytes = Math.max(16, sizeBytes - fixed) & ~3;
  const code = new Uint8Array(codeBytes);
  for (let i = 0, s = seed * 2654435761; i < codeBytes; i++) {
    s = (s ^ (s << 13)) >>> 0;
    s = (s ^ (s >>> 17)) >>> 0;
    s = (s ^ (s << 5)) >>> 0;
    code[i] = s & 0xff;
  }
  const segments: [number, Uint8Array][] = [
    [0x3f400020, appDesc], // DROM: the app descriptor comes first
    [0x400d0020, code], // IROM
  ];
  let body = HEADER_BYTES;
  for (const [, data] of segments) body += SEGMENT_HEADER_BYTES + data.length;
  const padded = (body + 16) & ~15; // the checksum is the last byte of a 16-byte block
  const image = new Uint8Array(padded + 32);
  const view = new DataView(image.buffer);
  image[0] = ESP_IMAGE_MAGIC;
  image[1] = segments.length;
  image[2] = 2; // DIO
  image[3] = 0x20; // 40 MHz, 4 MB
  view.setUint32(4, 0x40081000, true);
  image[8] = 0xee;
  view.setUint16(12, 0, true); // chip id: ESP32
  image[23] = 1; // hash appended
  let offset = HEADER_BYTES;
  let checksum = CHECKSUM_SEED;
  for (const [address, data] of segments) {
    view.setUint32(offset, address, true);
    view.setUint32(offset + 4, data.length, true);
    image.set(data, offset + SEGMENT_HEADER_BYTES);
    for (const byte of data) checksum ^= byte;
    offset += SEGMENT_HEADER_BYTES + data.length;
  }
  image[padded - 1] = checksum;
  image.set(createHash('sha256').update(image.subarray(0, padded)).digest(), padded);
  return image;
}

export type ImageCheck = { ok: true; length: number; version: string } | { ok: false; reason: string };

/** esp_image_verify over a partition's bytes: what esp_ota_end() and the bootloader check. */
export function verifyEspImage(partition: Uint8Array): ImageCheck {
  if (partition[0] !== ESP_IMAGE_MAGIC) return { ok: false, reason: `bad magic byte 0x${partition[0].toString(16)}` };
  const count = partition[1];
  if (count === 0 || count > MAX_SEGMENTS) return { ok: false, reason: `${count} segments` };
  const view = new DataView(partition.buffer, partition.byteOffset, partition.byteLength);
  if (view.getUint16(12, true) !== 0) return { ok: false, reason: 'image is for another chip' };
  let offset = HEADER_BYTES;
  let checksum = CHECKSUM_SEED;
  let version = '';
  for (let i = 0; i < count; i++) {
    if (offset + SEGMENT_HEADER_BYTES > partition.length) return { ok: false, reason: 'segment header past the partition' };
    const length = view.getUint32(offset + 4, true);
    const start = offset + SEGMENT_HEADER_BYTES;
    if (length > partition.length - start) return { ok: false, reason: `segment ${i} of ${length} bytes runs past the partition` };
    if (i === 0 && length >= 48 && view.getUint32(start, true) === APP_DESC_MAGIC) {
      const bytes = partition.subarray(start + 16, start + 48);
      version = String.fromCharCode(...bytes.subarray(0, bytes.indexOf(0) < 0 ? 32 : bytes.indexOf(0)));
    }
    for (let j = start; j < start + length; j++) checksum ^= partition[j];
    offset = start + length;
  }
  const padded = (offset + 16) & ~15;
  if (padded + 32 > partition.length) return { ok: false, reason: 'image runs past the partition' };
  if (partition[padded - 1] !== checksum) return { ok: false, reason: 'checksum mismatch' };
  if (partition[23] === 1) {
    const hash = createHash('sha256').update(partition.subarray(0, padded)).digest();
    if (!hash.equals(partition.subarray(padded, padded + 32))) return { ok: false, reason: 'SHA-256 mismatch' };
  }
  return { ok: true, length: padded + 32, version };
}
