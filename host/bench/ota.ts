// npm run bench (OTA part): what verifying an update costs on the XS engine: the manifest signature
// (ECDSA P-256, which the device uses, beside Ed25519, the alternative) and SHA-256 in JavaScript
// (the device uses its native digest; this is the fallback the host simulation runs).
import crypto from 'node:crypto';
import path from 'node:path';
import { runOnXs } from '../../host-tests/xs/run-scenario';
import { printTable, type Row } from './report';

export async function benchOta(): Promise<Row[]> {
  const scenario = path.resolve(import.meta.dirname, '../../host-tests/xs/scenarios/ota-crypto.ts');
  const message = Buffer.from(JSON.stringify({ board: 'esp32', sha256: 'a'.repeat(64), size: 1_900_000, url: 'http://192.168.4.1:8080/altimeter-1.2.0.bin', version: '1.2.0' }));
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ed = crypto.generateKeyPairSync('ed25519');
  const ecRun = await runOnXs(scenario, 'verifyEc', [
    ec.publicKey.export({ format: 'der', type: 'spki' }).subarray(-65).toString('hex'),
    message.toString('hex'),
    crypto.sign('sha256', message, { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }).toString('hex'),
  ]);
  const edRun = await runOnXs(scenario, 'verifyEd', [
    ed.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex'),
    message.toString('hex'),
    crypto.sign(null, message, ed.privateKey).toString('hex'),
  ]);
  const hashRun = await runOnXs(scenario, 'hashPattern', [64]);
  if (ecRun.value !== true || edRun.value !== true) throw new Error('a signature failed to verify on XS');
  const rows: Row[] = [
    { name: 'XS: verify a manifest signature, ECDSA P-256 (ours)', ours: ecRun.meter.computrons, reference: edRun.meter.computrons, unit: 'computrons', better: 'lower', goal: 'reference: Ed25519, same engine' },
    { name: 'XS: SHA-256 in JavaScript, per KiB', ours: hashRun.meter.computrons / 64, reference: undefined, unit: 'computrons', better: 'lower' },
  ];
  printTable('Update verification on the XS engine (computrons are deterministic for the same inputs; fresh keys each run)', rows);
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchOta();
}
