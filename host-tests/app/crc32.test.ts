// The outbox log's CRC-32 against zlib's (node:zlib crc32), on every slice of random bytes: the
// word-at-a-time loop and its byte tail must give the bytes-at-a-time result for any start and length.
import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/app/crc32';
import { seededRandom } from '../fakes/sdk-flash';

describe('crc32', () => {
  it('is the IEEE CRC-32 of the check string', () => {
    expect(crc32(new TextEncoder().encode('123456789'), 0, 9)).toBe(0xcbf43926);
  });

  it('equals zlib on every start and end of random bytes (all alignments and tails)', () => {
    const random = seededRandom(15);
    const bytes = new Uint8Array(80).map(() => Math.floor(random() * 256));
    for (let start = 0; start <= 16; start++) {
      for (let end = start; end <= bytes.length; end++) {
        expect(crc32(bytes, start, end), `[${start}, ${end})`).toBe(zlibCrc32(bytes.subarray(start, end)));
      }
    }
  });

  it('equals zlib on all-ones and all-zero runs (erased and cleared flash)', () => {
    for (const fill of [0x00, 0xff]) {
      const bytes = new Uint8Array(4096).fill(fill);
      expect(crc32(bytes, 0, bytes.length)).toBe(zlibCrc32(bytes));
    }
  });
});
