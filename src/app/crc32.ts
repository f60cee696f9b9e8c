// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, as zlib and PNG compute it): the outbox log's
// check that a record on flash is whole. The table is built once (1 KB); no allocation per call.
const TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c >>> 0;
}

/** CRC-32 of bytes[start, end). crc32(ASCII "123456789") is 0xCBF43926. */
export function crc32(bytes: Uint8Array, start: number, end: number): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
