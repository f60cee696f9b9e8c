// Ed25519 signature verification (RFC 8032 §5.1.7) with BigInt arithmetic, and the SHA-512 it needs
// (FIPS 180-4). Not in the firmware: it is here to be measured on XS against the ECDSA P-256 the
// updater uses (npm run bench). Verification only; core-compatible so it runs on XS.

const M64 = (1n << 64n) - 1n;

/** The first 64 bits of the fractional part of the k-th root of n, exactly, by integer root. */
function rootFraction(n: bigint, k: bigint): bigint {
  const scaled = n << (64n * k); // root(n · 2^(64k)) = root(n) · 2^64
  let x = 1n << ((BigInt(scaled.toString(2).length) + k - 1n) / k); // above the root
  for (;;) {
    const next = ((k - 1n) * x + scaled / x ** (k - 1n)) / k;
    if (next >= x) break;
    x = next;
  }
  return x & M64;
}

function firstPrimes(count: number): bigint[] {
  const primes: bigint[] = [];
  for (let n = 2; primes.length < count; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) if (n % d === 0) prime = false;
    if (prime) primes.push(BigInt(n));
  }
  return primes;
}

let K512: bigint[] | undefined;
let H512: bigint[] | undefined;

const rotr = (x: bigint, n: bigint) => ((x >> n) | (x << (64n - n))) & M64;

export function sha512(data: Uint8Array): Uint8Array {
  const primes = firstPrimes(80);
  K512 ??= primes.map((p) => rootFraction(p, 3n));
  H512 ??= primes.slice(0, 8).map((p) => rootFraction(p, 2n));
  const length = data.length;
  const padded = new Uint8Array(Math.ceil((length + 17) / 128) * 128);
  padded.set(data);
  padded[length] = 0x80;
  const bits = BigInt(length) * 8n;
  for (let i = 0; i < 16; i++) padded[padded.length - 1 - i] = Number((bits >> BigInt(8 * i)) & 0xffn);
  const h = H512.slice();
  const w: bigint[] = new Array(80);
  for (let block = 0; block < padded.length; block += 128) {
    for (let i = 0; i < 16; i++) {
      let word = 0n;
      for (let j = 0; j < 8; j++) word = (word << 8n) | BigInt(padded[block + i * 8 + j]);
      w[i] = word;
    }
    for (let i = 16; i < 80; i++) {
      const s0 = rotr(w[i - 15], 1n) ^ rotr(w[i - 15], 8n) ^ (w[i - 15] >> 7n);
      const s1 = rotr(w[i - 2], 19n) ^ rotr(w[i - 2], 61n) ^ (w[i - 2] >> 6n);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) & M64;
    }
    let [a, b, c, d, e, f, g, k] = h;
    for (let i = 0; i < 80; i++) {
      const S1 = rotr(e, 14n) ^ rotr(e, 18n) ^ rotr(e, 41n);
      const t1 = (k + S1 + ((e & f) ^ (~e & M64 & g)) + K512[i] + w[i]) & M64;
      const S0 = rotr(a, 28n) ^ rotr(a, 34n) ^ rotr(a, 39n);
      const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) & M64;
      [k, g, f, e, d, c, b, a] = [g, f, e, (d + t1) & M64, c, b, a, (t1 + t2) & M64];
    }
    [a, b, c, d, e, f, g, k].forEach((v, i) => (h[i] = (h[i] + v) & M64));
  }
  const out = new Uint8Array(64);
  h.forEach((v, i) => {
    for (let j = 0; j < 8; j++) out[i * 8 + j] = Number((v >> BigInt(56 - 8 * j)) & 0xffn);
  });
  return out;
}

const P = (1n << 255n) - 19n;
const L = (1n << 252n) + 27742317777372353535851937790883648493n;
const mod = (a: bigint) => {
  const r = a % P;
  return r < 0n ? r + P : r;
};

function power(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = mod(result * b);
    b = mod(b * b);
  }
  return result;
}

const inverse = (x: bigint) => power(x, P - 2n);
const D = mod(-121665n * inverse(121666n));
const SQRT_M1 = power(2n, (P - 1n) / 4n);

type Point = [bigint, bigint, bigint, bigint]; // extended (X, Y, Z, T), x = X/Z, y = Y/Z, xy = T/Z

function add([x1, y1, z1, t1]: Point, [x2, y2, z2, t2]: Point): Point {
  // RFC 8032 §5.1.4, a = −1
  const a = mod((y1 - x1) * (y2 - x2));
  const b = mod((y1 + x1) * (y2 + x2));
  const c = mod(2n * D * t1 * t2);
  const d = mod(2n * z1 * z2);
  const e = b - a;
  const f = d - c;
  const g = d + c;
  const h = b + a;
  return [mod(e * f), mod(g * h), mod(f * g), mod(e * h)];
}

function multiply(scalar: bigint, point: Point): Point {
  let result: Point = [0n, 1n, 1n, 0n];
  let addend = point;
  for (let s = scalar; s > 0n; s >>= 1n) {
    if (s & 1n) result = add(result, addend);
    addend = add(addend, addend);
  }
  return result;
}

const littleEndian = (bytes: Uint8Array) => {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
  return value;
};

/** Decodes a 32-byte point (RFC 8032 §5.1.3), or undefined when it is not on the curve. */
function decodePoint(bytes: Uint8Array): Point | undefined {
  if (bytes.length !== 32) return undefined;
  const encoded = littleEndian(bytes);
  const sign = encoded >> 255n;
  const y = encoded & ((1n << 255n) - 1n);
  if (y >= P) return undefined;
  const u = mod(y * y - 1n);
  const v = mod(D * y * y + 1n);
  let x = mod(u * power(v, 3n) * power(u * power(v, 7n), (P - 5n) / 8n));
  if (mod(v * x * x) !== u) {
    if (mod(v * x * x) !== mod(-u)) return undefined;
    x = mod(x * SQRT_M1);
  }
  if (x === 0n && sign === 1n) return undefined;
  if ((x & 1n) !== sign) x = P - x;
  return [x, y, 1n, mod(x * y)];
}

const BASE = decodePoint(new Uint8Array([0x58, ...new Array<number>(31).fill(0x66)]))!;

function samePoint([x1, y1, z1]: Point, [x2, y2, z2]: Point): boolean {
  return mod(x1 * z2 - x2 * z1) === 0n && mod(y1 * z2 - y2 * z1) === 0n;
}

/** Verifies an Ed25519 signature (64 bytes) of `message` with a 32-byte public key; never throws. */
export function verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  const a = decodePoint(publicKey);
  const r = decodePoint(signature.subarray(0, 32));
  if (!a || !r) return false;
  const s = littleEndian(signature.subarray(32, 64));
  if (s >= L) return false;
  const hashed = new Uint8Array(64 + message.length);
  hashed.set(signature.subarray(0, 32), 0);
  hashed.set(publicKey, 32);
  hashed.set(message, 64);
  const k = littleEndian(sha512(hashed)) % L;
  return samePoint(multiply(s, BASE), add(r, multiply(k, a)));
}
