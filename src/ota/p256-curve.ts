// NIST P-256 (FIPS 186-4 D.1.2.3) and the checks SEC 1 asks of a verifier before any curve arithmetic:
// the public key is a point on the curve (§3.2.2.1) and r, s lie in [1, n − 1] (§4.1.4 step 1).
// Shared by the JavaScript verifier (p256.ts) and the device's native one
// (src/platform/moddable/ecdsa-signature.ts), whose SDK ECDSA checks neither.

export const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
export const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
export const B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;
export const GX = 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n;
export const GY = 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n;

export function bytesToBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = 0; i < bytes.length; i++) value = (value << 8n) | BigInt(bytes[i]);
  return value;
}

/** An uncompressed public key (0x04 ‖ X ‖ Y, 65 bytes) as affine coordinates, or undefined when it is not on the curve. */
export function p256PublicKey(bytes: Uint8Array): [bigint, bigint] | undefined {
  if (bytes.length !== 65 || bytes[0] !== 4) return undefined;
  const x = bytesToBigInt(bytes.subarray(1, 33));
  const y = bytesToBigInt(bytes.subarray(33, 65));
  if (x >= P || y >= P) return undefined;
  return (y * y - (x * x * x - 3n * x + B)) % P === 0n ? [x, y] : undefined;
}

/** r and s of a signature (r ‖ s, 64 bytes), or undefined unless both are in [1, n − 1]. */
export function signatureScalars(signature: Uint8Array): [bigint, bigint] | undefined {
  if (signature.length !== 64) return undefined;
  const r = bytesToBigInt(signature.subarray(0, 32));
  const s = bytesToBigInt(signature.subarray(32, 64));
  return r > 0n && r < N && s > 0n && s < N ? [r, s] : undefined;
}
