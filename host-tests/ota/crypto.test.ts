// The OTA cryptography against Node's crypto (OpenSSL) as the oracle, and on the XS engine.
import crypto from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verifyP256 } from '../../src/ota/p256';
import { Sha256, sha256, toHex } from '../../src/ota/sha256';
import { decodeBase64 } from '../../src/ota/base64';
import { sha512, verifyEd25519 } from '../../host/bench/ed25519-reference';
import { runOnXs } from '../xs/run-scenario';

const scenario = new URL('../xs/scenarios/ota-crypto.ts', import.meta.url).pathname;
const message = Buffer.from('{"board":"esp32","sha256":"ab","size":1048576,"url":"http://x/y.bin","version":"1.2.3"}');
const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ecPublic = ec.publicKey.export({ format: 'der', type: 'spki' }).subarray(-65);
const ecSignature = crypto.sign('sha256', message, { key: ec.privateKey, dsaEncoding: 'ieee-p1363' });
const ed = crypto.generateKeyPairSync('ed25519');
const edPublic = ed.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
const edSignature = crypto.sign(null, message, ed.privateKey);

describe('SHA-256 and SHA-512', () => {
  it('match OpenSSL for any input, fed in any chunks', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 8 }), (data, cuts) => {
        const hasher = new Sha256();
        let offset = 0;
        for (let i = 0; offset < data.length; i++) {
          const size = cuts[i % cuts.length];
          hasher.update(data.subarray(offset, offset + size));
          offset += size;
        }
        const expected = crypto.createHash('sha256').update(data).digest('hex');
        expect(toHex(hasher.digest())).toBe(expected);
        expect(toHex(sha256(data))).toBe(expected);
        expect(toHex(sha512(data))).toBe(crypto.createHash('sha512').update(data).digest('hex'));
      }),
      { numRuns: 200 },
    );
  });
});

describe('signature verification', () => {
  it('verifies ECDSA P-256 signatures made by OpenSSL and refuses altered ones', () => {
    const digest = new Uint8Array(crypto.createHash('sha256').update(message).digest());
    expect(verifyP256(new Uint8Array(ecPublic), digest, new Uint8Array(ecSignature))).toBe(true);
    const altered = new Uint8Array(ecSignature);
    altered[10] ^= 1;
    expect(verifyP256(new Uint8Array(ecPublic), digest, altered)).toBe(false);
    expect(verifyP256(new Uint8Array(ecPublic), sha256(new Uint8Array(Buffer.from('other'))), new Uint8Array(ecSignature))).toBe(false);
    expect(verifyP256(new Uint8Array(65), digest, new Uint8Array(ecSignature))).toBe(false); // not a point on the curve
  });

  it('verifies Ed25519 signatures made by OpenSSL (the measured alternative)', () => {
    expect(verifyEd25519(new Uint8Array(edPublic), new Uint8Array(message), new Uint8Array(edSignature))).toBe(true);
    const altered = new Uint8Array(edSignature);
    altered[40] ^= 1;
    expect(verifyEd25519(new Uint8Array(edPublic), new Uint8Array(message), altered)).toBe(false);
  });

  it('decodes base64 and refuses what is not', () => {
    expect(Buffer.from(decodeBase64(ecSignature.toString('base64'))!).equals(ecSignature)).toBe(true);
    expect(decodeBase64('not base64!')).toBeUndefined();
  });
});

describe('the OTA cryptography on the XS engine', () => {
  it('verifies the same signatures and hashes as Node, and ECDSA P-256 costs about half of Ed25519', async () => {
    const ecRun = await runOnXs(scenario, 'verifyEc', [ecPublic.toString('hex'), message.toString('hex'), ecSignature.toString('hex')]);
    const edRun = await runOnXs(scenario, 'verifyEd', [edPublic.toString('hex'), message.toString('hex'), edSignature.toString('hex')]);
    expect(ecRun.value).toBe(true);
    expect(edRun.value).toBe(true);
    expect(ecRun.meter.computrons).toBeLessThan(edRun.meter.computrons);
    const hashRun = await runOnXs(scenario, 'hashPattern', [16]);
    const chunk = Buffer.alloc(1024).map((_, i) => (i * 7) & 0xff);
    const expected = crypto.createHash('sha256');
    for (let i = 0; i < 16; i++) expected.update(chunk);
    expect(hashRun.value).toBe(expected.digest('hex'));
  });
});
