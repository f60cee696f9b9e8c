// Signature verification on the device with the SDK's own ECDSA (modules/crypt/etc/ecdsa.js over the
// native big-integer and elliptic-curve arithmetic of modules/crypt/arith, already linked for TLS)
// and the native SHA-256 (crypt Digest). The JavaScript P-256 (src/ota/p256.ts) is not in the
// device image.
//
// The SDK's ECDSA.verify does none of the checks SEC 1 asks before the arithmetic (the public key is
// on the curve, 0 < r, s < n): they are done here first (src/ota/p256-curve.ts).
import { Digest } from "crypt";
// mcconfig resolves these to the SDK's untyped JavaScript; `npm run typecheck` sees the declarations
// in esp32/moddable-modules.d.ts instead.
// eslint-disable-next-line @typescript-eslint/ban-ts-comment -- the error exists under mcconfig only
// @ts-ignore TS7016
import ECDSA from "ecdsa";
// eslint-disable-next-line @typescript-eslint/ban-ts-comment -- the error exists under mcconfig only
// @ts-ignore TS7016
import Curve from "curve";
// eslint-disable-next-line @typescript-eslint/ban-ts-comment -- the error exists under mcconfig only
// @ts-ignore TS7016
import ECPoint from "ecp";
import type { SignatureVerifier } from "ports";
import { p256PublicKey, signatureScalars } from "ota/p256-curve";

interface SdkEcdsa {
  verify(hash: ArrayBuffer, signature: ArrayBuffer, asn1: boolean): boolean;
}
type EcdsaConstructor = new (key: object, curve: object) => SdkEcdsa;
type PointConstructor = new (x: bigint, y: bigint) => object;

let secp256r1: object | undefined;

export const nativeP256Verify: SignatureVerifier = (publicKey, message, signature) => {
  const point = p256PublicKey(publicKey);
  if (!point || !signatureScalars(signature)) return false;
  const digest = new Digest("SHA256");
  digest.write(message as unknown as ArrayBuffer); // the native digest takes byte views as they are
  const hash = digest.close();
  secp256r1 ??= new (Curve as unknown as new (name: string) => object)("secp256r1");
  const key = new (ECPoint as unknown as PointConstructor)(point[0], point[1]);
  const ecdsa = new (ECDSA as unknown as EcdsaConstructor)(key, secp256r1);
  return ecdsa.verify(hash, signature.slice().buffer as ArrayBuffer, false) === true;
};
