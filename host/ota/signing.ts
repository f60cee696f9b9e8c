// Key pairs and manifest signatures for updates (ECDSA P-256 over SHA-256, as src/ota/manifest.ts
// verifies them). The private key stays on the release machine; the device gets only the public key.
import crypto from 'node:crypto';
import { signedBytes, type UpdateManifest } from '../../src/ota/manifest';
import { sha256, toHex } from '../../src/ota/sha256';

export interface KeyPair {
  privateKeyPem: string;
  /** Uncompressed public key (0x04 ‖ X ‖ Y) in hex: what the firmware config `otaPublicKey` holds. */
  publicKeyHex: string;
}

export function generateKeyPair(): KeyPair {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  return {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyHex: Buffer.from(spki.subarray(spki.length - 65)).toString('hex'),
  };
}

/** Signs every field of the manifest; returns it with its signature. */
export function signManifest(fields: Omit<UpdateManifest, 'signature'>, privateKeyPem: string): UpdateManifest {
  const signature = crypto.sign('sha256', Buffer.from(signedBytes(fields)), { key: privateKeyPem, dsaEncoding: 'ieee-p1363' });
  return { ...fields, signature: signature.toString('base64') };
}

/** What the operator chooses for a manifest; size and hash come from the image. */
export type ReleaseFields = Omit<UpdateManifest, 'signature' | 'size' | 'sha256'>;

/** A manifest for `image`, signed. */
export function manifestFor(image: Uint8Array, fields: ReleaseFields, privateKeyPem: string): UpdateManifest {
  return signManifest({ ...fields, size: image.length, sha256: toHex(sha256(image)) }, privateKeyPem);
}
