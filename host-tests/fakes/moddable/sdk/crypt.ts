// Emulator of the Moddable SDK's `crypt` Digest: modules/crypt/digest/crypt.js and modCrypt.c with
// the KCL SHA-256 of modules/crypt/digest/kcl/fips180.c.
//
// Contract kept (modCrypt.c):
// - new Digest(name): the names are case-sensitive "MD5", "SHA1", "SHA256", "SHA224", "SHA384",
//   "SHA512", "GHASH"; anything else → Error "crypt: unsupported digest".
// - write(data): a string is hashed as the bytes XS stores it in (UTF-8, with U+0000 as C0 80, so
//   c_strlen sees it all); otherwise a buffer (ArrayBuffer, byte-typed array, DataView), else
//   TypeError "invalid buffer".
// - close(more): returns the digest as an ArrayBuffer. Without a truthy `more` the context is left
//   finalised but not cleared: the C code never frees it, so a later write() or close() carries on
//   from the padded state and yields a digest of nothing anyone asked for (reproduced exactly for
//   SHA256, refused for the others, which this project does not use). close(true) keeps the state.
// - reset(), blockSize, outputSize, process(...), update(data).
import { createHash } from 'node:crypto';
import { bufferBytes, xsUtf8 } from '../xs-values';

const SIZES: Record<string, { digest: number; block: number }> = {
  MD5: { digest: 16, block: 64 },
  SHA1: { digest: 20, block: 64 },
  SHA256: { digest: 32, block: 64 },
  SHA224: { digest: 28, block: 64 },
  SHA384: { digest: 48, block: 128 },
  SHA512: { digest: 64, block: 128 },
  GHASH: { digest: 16, block: 16 },
};

const K = new Uint32Array(64);
const IV = new Uint32Array(8);
{
  const fraction = (x: number) => Math.floor((x - Math.floor(x)) * 0x100000000);
  for (let n = 2, found = 0; found < 64; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) if (n % d === 0) prime = false;
    if (!prime) continue;
    if (found < 8) IV[found] = fraction(Math.sqrt(n));
    K[found++] = fraction(Math.cbrt(n));
  }
}

/** struct sha256 of fips180.c: state, byte count, block buffer; create/update/fin as KCL does them. */
class KclSha256 {
  readonly state = new Uint32Array(8);
  readonly buf = new Uint8Array(64);
  len = 0;
  constructor() {
    this.create();
  }
  create(): void {
    this.state.set(IV);
    this.len = 0;
  }
  update(data: Uint8Array): void {
    let p = 0;
    let size = data.length;
    const r = this.len % 64;
    this.len += size;
    if (r > 0) {
      const n = 64 - r;
      if (size < n) {
        this.buf.set(data.subarray(0, size), r);
        return;
      }
      this.buf.set(data.subarray(0, n), r);
      size -= n;
      p += n;
      this.#process(this.buf, 0);
    }
    for (; size >= 64; size -= 64, p += 64) this.#process(data, p);
    this.buf.set(data.subarray(p, p + size), 0);
  }
  fin(): Uint8Array {
    let r = this.len % 64;
    this.buf[r++] = 0x80;
    if (r > 56) {
      this.buf.fill(0, r);
      this.#process(this.buf, 0);
      r = 0;
    }
    this.buf.fill(0, r, 56);
    const bits = BigInt(this.len) * 8n;
    for (let i = 0; i < 8; i++) this.buf[56 + i] = Number((bits >> BigInt(56 - 8 * i)) & 0xffn);
    this.#process(this.buf, 0);
    const out = new Uint8Array(32);
    for (let i = 0; i < 8; i++) new DataView(out.buffer).setUint32(i * 4, this.state[i]);
    return out;
  }
  #process(block: Uint8Array, offset: number): void {
    const w = new Uint32Array(64);
    const view = new DataView(block.buffer, block.byteOffset + offset, 64);
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(i * 4);
    const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));
    for (let i = 16; i < 64; i++) {
      const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
      const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
      w[i] = (s1 + w[i - 7] + s0 + w[i - 16]) >>> 0;
    }
    let [a, b, c, d, e, f, g, h] = this.state;
    for (let i = 0; i < 64; i++) {
      const t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    const s = this.state;
    s[0] += a; s[1] += b; s[2] += c; s[3] += d; s[4] += e; s[5] += f; s[6] += g; s[7] += h;
  }
}

/** The other digests through Node, hashing once: reuse after close() is refused (not modelled). */
class OnceDigest {
  readonly #name: string;
  #hash = createHash('md5');
  #closed = false;
  constructor(name: string) {
    this.#name = name;
    this.create();
  }
  create(): void {
    this.#hash = createHash({ MD5: 'md5', SHA1: 'sha1', SHA224: 'sha224', SHA384: 'sha384', SHA512: 'sha512' }[this.#name]!);
    this.#closed = false;
  }
  update(data: Uint8Array): void {
    if (this.#closed) throw new Error(`emulator: reusing a closed ${this.#name} Digest is not modelled`);
    this.#hash.update(data);
  }
  fin(): Uint8Array {
    if (this.#closed) throw new Error(`emulator: reusing a closed ${this.#name} Digest is not modelled`);
    this.#closed = true;
    return new Uint8Array(this.#hash.digest());
  }
}

export class Digest {
  readonly #name: string;
  readonly #context: KclSha256 | OnceDigest;

  constructor(type: unknown) {
    const name = String(type);
    if (!(name in SIZES)) throw new Error('crypt: unsupported digest');
    if (name === 'GHASH') throw new Error('emulator: GHASH is not modelled');
    this.#name = name;
    this.#context = name === 'SHA256' ? new KclSha256() : new OnceDigest(name);
  }

  write(data: unknown): void {
    this.#context.update(typeof data === 'string' ? xsUtf8(data) : bufferBytes(data));
  }

  close(more?: unknown): ArrayBuffer {
    if (more && this.#context instanceof KclSha256) {
      const saved = { state: this.#context.state.slice(), buf: this.#context.buf.slice(), len: this.#context.len };
      const digest = this.#context.fin();
      this.#context.state.set(saved.state);
      this.#context.buf.set(saved.buf);
      this.#context.len = saved.len;
      return digest.buffer as ArrayBuffer;
    }
    if (more) throw new Error(`emulator: close(true) on ${this.#name} is not modelled`);
    return this.#context.fin().buffer as ArrayBuffer;
  }

  reset(): void {
    this.#context.create();
  }

  get blockSize(): number {
    return SIZES[this.#name].block;
  }
  get outputSize(): number {
    return SIZES[this.#name].digest;
  }

  process(...parts: unknown[]): ArrayBuffer {
    this.reset();
    for (const part of parts) this.write(part);
    return this.close();
  }

  update(data: unknown): void {
    this.write(data);
  }
}
