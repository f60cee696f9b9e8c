// Signature verification and hashing, given keys and signatures made by Node's crypto, for the
// OTA suite to check on XS and to measure what each costs there.
import { verifyEd25519 } from '../../../host/bench/ed25519-reference';
import { verifyP256 } from '../../../src/ota/p256';
import { Sha256, sha256, toHex } from '../../../src/ota/sha256';

const fromHex = (hex: string) => new Uint8Array((hex.match(/../g) ?? []).map((h) => parseInt(h, 16)));

export function verifyEd(publicKey: string, message: string, signature: string) {
  return verifyEd25519(fromHex(publicKey), fromHex(message), fromHex(signature));
}

export function verifyEc(publicKey: string, message: string, signature: string) {
  return verifyP256(fromHex(publicKey), sha256(fromHex(message)), fromHex(signature));
}

/** Hashes `kib` KiB of a known pattern in 1 KiB chunks. */
export function hashPattern(kib: number) {
  const chunk = new Uint8Array(1024).map((_, i) => (i * 7) & 0xff);
  const hasher = new Sha256();
  for (let i = 0; i < kib; i++) hasher.update(chunk);
  return toHex(hasher.digest());
}
