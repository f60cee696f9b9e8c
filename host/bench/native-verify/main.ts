// The device's native signature check (src/platform/moddable/ecdsa-signature.ts: the SDK's ECDSA on
// its C big-integer arithmetic, with the SDK's SHA-256) run on the real Moddable runtime in the
// desktop simulator, beside the JavaScript P-256 on the same engine: which signatures each accepts,
// what each costs in time, and how deep each goes on the XS stack (the device's stack is a build
// setting). It traces one line, "verify-bench {json}", then idles; host/bench/native-verify.ts reads it.
import config from "mc/config";
import Instrumentation from "instrumentation";
import { nativeP256Verify } from "platform/moddable/ecdsa-signature";
import { verifyP256Signature } from "ota/p256";
import type { SignatureVerifier } from "ports";

const hex = (text: string) => {
  const bytes = new Uint8Array(text.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return bytes;
};
const publicKey = hex(config.publicKey);
const message = hex(config.message);
const signature = hex(config.signature);
const rounds = Number(config.rounds);

const instruments = Instrumentation as unknown as { map(name: string): number; get(id: number): number };
const stackId = instruments.map("XS Stack Used");

/** Accepts the genuine signature and refuses what SEC 1 says a verifier must refuse. */
function verdicts(verify: SignatureVerifier): Record<string, boolean> {
  const tampered = signature.slice();
  tampered[40] ^= 1;
  const zeroR = signature.slice();
  zeroR.fill(0, 0, 32);
  const sTooLarge = signature.slice();
  sTooLarge.fill(0xff, 32, 64);
  const offCurve = publicKey.slice();
  offCurve[64] ^= 1;
  const otherMessage = message.slice();
  otherMessage[0] ^= 1;
  return {
    genuine: verify(publicKey, message, signature),
    tampered: verify(publicKey, message, tampered),
    zeroR: verify(publicKey, message, zeroR),
    sTooLarge: verify(publicKey, message, sTooLarge),
    offCurveKey: verify(offCurve, message, signature),
    otherMessage: verify(publicKey, otherMessage, signature),
  };
}

function cost(verify: SignatureVerifier): { msPerVerify: number; stackBytes: number } {
  instruments.get(stackId); // resets the peak (modInstrumentationStackRemain)
  verify(publicKey, message, signature);
  const stackBytes = instruments.get(stackId);
  const start = Date.now();
  for (let i = 0; i < rounds; i++) verify(publicKey, message, signature);
  return { msPerVerify: (Date.now() - start) / rounds, stackBytes };
}

const result = {
  native: { ...verdicts(nativeP256Verify), ...cost(nativeP256Verify) },
  javascript: { ...verdicts(verifyP256Signature), ...cost(verifyP256Signature) },
};
trace(`verify-bench ${JSON.stringify(result)}\n`);
