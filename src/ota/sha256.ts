// SHA-256 (FIPS 180-4), streaming: an update image is hashed chunk by chunk as it downloads, so the
// device never holds the whole image. Fixed buffers; nothing is allocated per chunk.

/** First 32 bits of the fractional parts of the square roots (H0) and cube roots (K) of the first primes. */
function fractionBits(root: (x: number) => number, count: number): Uint32Array {
  const out = new Uint32Array(count);
  for (let n = 2, found = 0; found < count; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) if (n % d === 0) prime = false;
    if (!prime) continue;
    const r = root(n);
    out[found++] = Math.floor((r - Math.floor(r)) * 0x100000000);
  }
  return out;
}

const K = fractionBits(Math.cbrt, 64);
const H0 = fractionBits(Math.sqrt, 8);

export class Sha256 {
  readonly #h = new Uint32Array(8);
  readonly #w = new Uint32Array(64);
  readonly #block = new Uint8Array(64);
  #blockLength = 0;
  #totalBytes = 0;

  constructor() {
    this.reset();
  }

  reset(): this {
    this.#h.set(H0);
    this.#blockLength = 0;
    this.#totalBytes = 0;
    return this;
  }

  update(data: Uint8Array): this {
    let offset = 0;
    this.#totalBytes += data.length;
    if (this.#blockLength > 0) {
      const take = Math.min(64 - this.#blockLength, data.length);
      for (let i = 0; i < take; i++) this.#block[this.#blockLength + i] = data[i];
      this.#blockLength += take;
      offset = take;
      if (this.#blockLength < 64) return this;
      this.#compress(this.#block, 0);
      this.#blockLength = 0;
    }
    for (; offset + 64 <= data.length; offset += 64) this.#compress(data, offset);
    for (let i = offset; i < data.length; i++) this.#block[this.#blockLength++] = data[i];
    return this;
  }

  /** Finishes and returns the 32-byte digest (the hasher must be reset before reuse). */
  digest(): Uint8Array {
    const bits = this.#totalBytes * 8;
    const block = this.#block;
    block[this.#blockLength++] = 0x80;
    if (this.#blockLength > 56) {
      block.fill(0, this.#blockLength);
      this.#compress(block, 0);
      this.#blockLength = 0;
    }
    block.fill(0, this.#blockLength, 56);
    const high = Math.floor(bits / 0x100000000);
    for (let i = 0; i < 4; i++) {
      block[56 + i] = (high >>> (24 - 8 * i)) & 0xff;
      block[60 + i] = (bits >>> (24 - 8 * i)) & 0xff;
    }
    this.#compress(block, 0);
    const out = new Uint8Array(32);
    for (let i = 0; i < 8; i++) {
      out[i * 4] = this.#h[i] >>> 24;
      out[i * 4 + 1] = (this.#h[i] >>> 16) & 0xff;
      out[i * 4 + 2] = (this.#h[i] >>> 8) & 0xff;
      out[i * 4 + 3] = this.#h[i] & 0xff;
    }
    return out;
  }

  #compress(data: Uint8Array, offset: number): void {
    const w = this.#w;
    for (let i = 0; i < 16; i++) {
      const j = offset + i * 4;
      w[i] = (data[j] << 24) | (data[j + 1] << 16) | (data[j + 2] << 8) | data[j + 3];
    }
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15];
      const b = w[i - 2];
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
    }
    const h = this.#h;
    let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (k + S1 + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      k = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += k;
  }
}

export function sha256(data: Uint8Array): Uint8Array {
  return new Sha256().update(data).digest();
}

export function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (let i = 0; i < bytes.length; i++) hex += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
  return hex;
}
