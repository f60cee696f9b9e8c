// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, as zlib and PNG compute it): the outbox log's
// check that a record on flash is whole. Computed four bytes at a time ("slicing by 4": four tables,
// 4 KB, built once), because XS pays per bytecode and the byte-at-a-time loop cost some 30 computrons
// a byte, a third of a sample cycle; the few bytes after the last whole word go one at a time. The
// tables are Int32Array so that XS keeps every entry an integer (a Uint32 above 2^31 is a double).
// No allocation per call.
const TABLES = new Int32Array(4 * 256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLES[n] = c;
}
// TABLES[256 k + n]: the CRC of byte n followed by k zero bytes.
for (let n = 0; n < 256; n++) {
  for (let k = 1; k < 4; k++) {
    const previous = TABLES[256 * (k - 1) + n];
    TABLES[256 * k + n] = (previous >>> 8) ^ TABLES[previous & 0xff];
  }
}

/** The DataView of the last array, kept: the outbox checks the same record buffer every time. */
let viewOf: Uint8Array | undefined;
let view: DataView = new DataView(new ArrayBuffer(0));

/** CRC-32 of bytes[start, end). crc32(ASCII "123456789") is 0xCBF43926. */
export function crc32(bytes: Uint8Array, start: number, end: number): number {
  if (bytes !== viewOf) {
    viewOf = bytes;
    view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  const table = TABLES;
  const words = view;
  let c = -1;
  let i = start;
  for (const last = end - 3; i < last; i += 4) {
    c ^= words.getInt32(i, true);
    c = table[768 + (c & 0xff)] ^ table[512 + ((c >>> 8) & 0xff)] ^ table[256 + ((c >>> 16) & 0xff)] ^ table[c >>> 24];
  }
  for (; i < end; i++) c = table[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
