// npm run bench (signature part, on the Moddable runtime): the device's native signature check
// (the SDK's ECDSA on its C arithmetic) beside the JavaScript P-256, both in the desktop simulator's
// XS, on the same signed manifest; and which forged signatures each refuses. The probe app is
// host/bench/native-verify (main.ts). Times are wall-clock on this computer (the XS meter of xsnap
// cannot see into native code); the ratio is what carries over to the device.
import crypto from 'node:crypto';
import path from 'node:path';
import { buildForSimulator } from '../moddable/build';
import { locateModdableSdk, projectRoot, type ModdableSdk } from '../moddable/sdk';
import { startSimulator } from '../moddable/simulator';
import { printTable, type Row } from './report';

export interface VerifyVerdicts {
  genuine: boolean;
  tampered: boolean;
  zeroR: boolean;
  sTooLarge: boolean;
  offCurveKey: boolean;
  otherMessage: boolean;
  msPerVerify: number;
  stackBytes: number;
}

export interface NativeVerifyResult {
  native: VerifyVerdicts;
  javascript: VerifyVerdicts;
}

/** Builds the probe app with a fresh key and signature, runs it in mcsim, returns what it traced. */
export async function runNativeVerifyProbe(sdk: ModdableSdk, outDir: string, rounds = 10): Promise<NativeVerifyResult> {
  const message = Buffer.from(JSON.stringify({ board: 'esp32-devkitc', sha256: 'a'.repeat(64), size: 1_900_000, url: 'http://10.0.0.2:8080/altimeter-1.2.0.bin', version: '1.2.0' }));
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const mcSo = await buildForSimulator(
    sdk,
    outDir,
    {
      config: {
        publicKey: ec.publicKey.export({ format: 'der', type: 'spki' }).subarray(-65).toString('hex'),
        message: message.toString('hex'),
        signature: crypto.sign('sha256', message, { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }).toString('hex'),
        rounds,
      },
      manifest: path.join(projectRoot, 'host/bench/native-verify/manifest.json'),
    },
  );
  const simulator = startSimulator(sdk, mcSo, { headless: true });
  try {
    const line = await simulator.waitForTrace(/^verify-bench /, { what: "the probe's result", timeoutMs: 180_000 });
    return JSON.parse(line.slice('verify-bench '.length)) as NativeVerifyResult;
  } finally {
    await simulator.stop();
  }
}

export async function benchNativeVerify(): Promise<Row[]> {
  const sdk = await locateModdableSdk((line) => process.stderr.write(`${line}\n`));
  const result = await runNativeVerifyProbe(sdk, path.join(projectRoot, 'build/bench-native-verify'));
  const refused = (v: VerifyVerdicts) => [v.tampered, v.zeroR, v.sTooLarge, v.offCurveKey, v.otherMessage].filter((accepted) => !accepted).length;
  const rows: Row[] = [
    { name: 'XS (simulator): verify a manifest signature, native ECDSA (device)', ours: result.native.msPerVerify, reference: result.javascript.msPerVerify, unit: 'ms', better: 'lower', goal: 'reference: JavaScript P-256, same runtime' },
    { name: 'forged signatures refused (of 5), native', ours: refused(result.native), reference: refused(result.javascript), unit: '', better: 'higher' },
  ];
  printTable('Signature verification on the Moddable runtime (desktop simulator, wall clock on this computer)', rows);
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchNativeVerify();
}
