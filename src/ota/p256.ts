// ECDSA verification on NIST P-256 (FIPS 186-4 §6.4, SEC 1 §4.1.4) with BigInt arithmetic:
// Jacobian coordinates, one modular inversion at the end, and Shamir's trick for u1·G + u2·Q.
// Verification only: the device never holds a private key. The device itself verifies natively (the
// SDK's ecdsa, src/platform/moddable/ecdsa-signature.ts); this is the verifier of the host simulation
// and of the XS tests, and the bench's reference for the native one.
import type { SignatureVerifier } from '../ports';
import { sha256 } from './sha256';
import { GX, GY, N, P, p256PublicKey, signatureScalars, bytesToBigInt } from './p256-curve';


type Jacobian = [bigint, bigint, bigint]; // (X, Y, Z), affine (X/Z², Y/Z³); Z = 0 is infinity

const mod = (a: bigint, m: bigint) => {
  const r = a % m;
  return r < 0n ? r + m : r;
};

/** Inverse modulo m by the extended Euclidean algorithm. */
function invert(a: bigint, m: bigint): bigint {
  let [oldR, r] = [mod(a, m), m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return mod(oldS, m);
}

function double([x, y, z]: Jacobian): Jacobian {
  if (z === 0n || y === 0n) return [0n, 1n, 0n];
  // a = −3: M = 3(X − Z²)(X + Z²)
  const zz = mod(z * z, P);
  const m = mod(3n * (x - zz) * (x + zz), P);
  const yy = mod(y * y, P);
  const s = mod(4n * x * yy, P);
  const x3 = mod(m * m - 2n * s, P);
  const y3 = mod(m * (s - x3) - 8n * yy * yy, P);
  return [x3, y3, mod(2n * y * z, P)];
}

function add(p: Jacobian, q: Jacobian): Jacobian {
  const [x1, y1, z1] = p;
  const [x2, y2, z2] = q;
  if (z1 === 0n) return q;
  if (z2 === 0n) return p;
  const z1z1 = mod(z1 * z1, P);
  const z2z2 = mod(z2 * z2, P);
  const u1 = mod(x1 * z2z2, P);
  const u2 = mod(x2 * z1z1, P);
  const s1 = mod(y1 * z2 * z2z2, P);
  const s2 = mod(y2 * z1 * z1z1, P);
  if (u1 === u2) return s1 === s2 ? double(p) : [0n, 1n, 0n];
  const h = mod(u2 - u1, P);
  const r = mod(s2 - s1, P);
  const hh = mod(h * h, P);
  const hhh = mod(h * hh, P);
  const v = mod(u1 * hh, P);
  const x3 = mod(r * r - hhh - 2n * v, P);
  const y3 = mod(r * (v - x3) - s1 * hhh, P);
  return [x3, y3, mod(z1 * z2 * h, P)];
}

/** a·A + b·B in one pass over the bits (Shamir's trick). */
function twoMultiply(a: bigint, pointA: Jacobian, b: bigint, pointB: Jacobian): Jacobian {
  const both = add(pointA, pointB);
  let result: Jacobian = [0n, 1n, 0n];
  const bits = Math.max(a.toString(2).length, b.toString(2).length);
  for (let i = bits - 1; i >= 0; i--) {
    result = double(result);
    const bitA = (a >> BigInt(i)) & 1n;
    const bitB = (b >> BigInt(i)) & 1n;
    if (bitA && bitB) result = add(result, both);
    else if (bitA) result = add(result, pointA);
    else if (bitB) result = add(result, pointB);
  }
  return result;
}

/**
 * Verifies an ECDSA P-256 signature (r ‖ s, 64 bytes) over a SHA-256 `digest` (32 bytes) with an
 * uncompressed public key (65 bytes). Returns false for anything malformed, never throws.
 */
export function verifyP256(publicKey: Uint8Array, digest: Uint8Array, signature: Uint8Array): boolean {
  const point = p256PublicKey(publicKey);
  const scalars = signatureScalars(signature);
  if (!point || !scalars || digest.length !== 32) return false;
  const q: Jacobian = [point[0], point[1], 1n];
  const [r, s] = scalars;
  const e = bytesToBigInt(digest) % N;
  const w = invert(s, N);
  const [x, , z] = twoMultiply(mod(e * w, N), [GX, GY, 1n], mod(r * w, N), q);
  if (z === 0n) return false;
  const zInverse = invert(z, P);
  const affineX = mod(x * zInverse * zInverse, P);
  return mod(affineX, N) === r;
}

/** The SignatureVerifier port in JavaScript: SHA-256 of the message, then verifyP256. */
export const verifyP256Signature: SignatureVerifier = (publicKey, message, signature) => verifyP256(publicKey, sha256(message), signature);
