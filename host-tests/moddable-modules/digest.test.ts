// The SDK's Digest as the emulator keeps it (modules/crypt/digest/modCrypt.c with KCL's
// fips180.c), checked against OpenSSL, and the firmware's image hasher on top of it
// (nativeSha256 in src/platform/moddable/firmware-update.ts).
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Digest } from '../fakes/moddable/sdk/crypt';
import { nativeSha256 } from '../../src/platform/moddable/firmware-update';
import { thrown } from '../support/thrown';

const hex = (buffer: ArrayBuffer | Uint8Array) => Buffer.from(buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : buffer).toString('hex');
const openssl = (...parts: Uint8Array[]) => {
  const hash = crypto.createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
};

describe('Digest (modCrypt.c)', () => {
  it('hashes buffers in any pieces as OpenSSL does, whatever view they come in', () => {
    const data = crypto.randomBytes(1000);
    const digest = new Digest('SHA256');
    digest.write(data.subarray(0, 3));
    digest.write(new DataView(data.buffer, data.byteOffset + 3, 61));
    digest.write(data.buffer.slice(data.byteOffset + 64, data.byteOffset + 1000));
    expect(hex(digest.close())).toBe(openssl(data));
  });

  it('hashes a string as XS stores it: UTF-8, with U+0000 as the bytes C0 80', () => {
    const digest = new Digest('SHA256');
    digest.write('é\u0000');
    expect(hex(digest.close())).toBe(openssl(Uint8Array.of(0xc3, 0xa9, 0xc0, 0x80)));
  });

  it('refuses names it does not know (case matters) and buffers that are not bytes', () => {
    expect(thrown(() => new Digest('sha256'), Error).message).toBe('crypt: unsupported digest');
    expect(thrown(() => new Digest('SHA-256'), Error).message).toBe('crypt: unsupported digest');
    expect(thrown(() => new Digest('SHA256').write(new Uint32Array(4)), TypeError).message).toBe('invalid buffer');
    expect(thrown(() => new Digest('SHA256').write(42), TypeError).message).toBe('invalid buffer');
  });

  it('close(true) gives the digest so far and keeps hashing; a plain close() leaves a finalised context that a later write does not restart', () => {
    const digest = new Digest('SHA256');
    digest.write(Uint8Array.of(1, 2, 3));
    expect(hex(digest.close(true))).toBe(openssl(Uint8Array.of(1, 2, 3)));
    digest.write(Uint8Array.of(4));
    expect(hex(digest.close())).toBe(openssl(Uint8Array.of(1, 2, 3, 4)));
    digest.write(Uint8Array.of(5)); // the C code never clears the context: this is not a fresh hash
    expect(hex(digest.close())).not.toBe(openssl(Uint8Array.of(5)));
    digest.reset();
    digest.write(Uint8Array.of(5));
    expect(hex(digest.close())).toBe(openssl(Uint8Array.of(5)));
    expect([digest.outputSize, digest.blockSize]).toEqual([32, 64]);
  });
});

describe('the image hasher over Digest', () => {
  it('hashes the chunks of a download, subarrays of larger buffers included, without copying them first', () => {
    const image = crypto.randomBytes(50_000);
    const hasher = nativeSha256();
    for (let offset = 0; offset < image.length; offset += 1460) hasher.update(image.subarray(offset, offset + 1460));
    expect(hex(hasher.digest())).toBe(openssl(image));
  });
});
