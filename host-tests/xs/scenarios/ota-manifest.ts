// The manifest checks (signature, target device, expiry, counter, board, version, size) on XS: the
// same decisions, and the same reasons, as on Node.
import { checkManifest, OtaError, type ManifestContext } from '../../../src/ota/manifest';
import { verifyP256Signature } from '../../../src/ota/p256';

const fromHex = (hex: string) => new Uint8Array((hex.match(/../g) ?? []).map((h) => parseInt(h, 16)));

export function check(manifestJson: string, publicKeyHex: string, contextJson: string) {
  const context = JSON.parse(contextJson) as ManifestContext;
  try {
    const manifest = checkManifest(JSON.parse(manifestJson), { publicKey: fromHex(publicKeyHex), board: 'esp32', currentVersion: '1.0.0', partitionBytes: 65536, verifySignature: verifyP256Signature }, context);
    return { ok: true, version: manifest.version };
  } catch (error) {
    return { ok: false, code: error instanceof OtaError ? error.code : 'other', message: (error as Error).message };
  }
}
