// The device's signature check (src/platform/moddable/ecdsa-signature.ts) on the real Moddable
// runtime: the SDK's ECDSA, whose own verify checks neither the key nor the range of r and s, behind
// our checks. Signatures made by OpenSSL; the same cases through the JavaScript P-256 beside it.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ModdableSdk } from '../../host/moddable/sdk';
import { runNativeVerifyProbe } from '../../host/bench/native-verify';
import { moddableSdkForTests } from './moddable-sdk';

const sdk: ModdableSdk | undefined = await moddableSdkForTests();
const outDir = mkdtempSync(path.join(os.tmpdir(), 'altimeter-native-verify-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe.skipIf(!sdk)('native signature verification in the simulator', () => {
  it('accepts a signature OpenSSL made, refuses a tampered one, r = 0, s ≥ n, a key off the curve and another message; so does the JavaScript one', async () => {
    const result = await runNativeVerifyProbe(sdk!, outDir, 2);
    for (const verifier of [result.native, result.javascript]) {
      expect(verifier).toMatchObject({ genuine: true, tampered: false, zeroR: false, sTooLarge: false, offCurveKey: false, otherMessage: false });
    }
  }, 3_600_000);
});
