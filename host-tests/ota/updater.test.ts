// The updater against a fake flash with two slots, ESP-IDF's rollback rules and power loss, and a
// fake image server: every way an update can go wrong leaves the device booting a good image.
import { describe, expect, it } from 'vitest';
import { Updater } from '../../src/ota/updater';
import { FakeFlash, firmwareImage, imageVersion } from '../fakes/fake-flash';
import { FakeImageServer } from '../fakes/fake-http';
import { MemoryStore } from '../fakes/memory-store';
import { VirtualClock } from '../fakes/virtual-clock';
import { generateKeyPair, manifestFor, signManifest } from '../../host/ota/signing';

const keys = generateKeyPair();
const otherKeys = generateKeyPair();
const URL_ = 'http://updates.local/altimeter-1.1.0.bin';
const image = firmwareImage('1.1.0', 20_000);
const manifest = manifestFor(image, { version: '1.1.0', board: 'esp32', url: URL_ }, keys.privateKeyPem);

function rig(options: { flash?: FakeFlash; store?: MemoryStore; clock?: VirtualClock; server?: FakeImageServer } = {}) {
  const clock = options.clock ?? new VirtualClock();
  const flash = options.flash ?? new FakeFlash('1.0.0');
  const store = options.store ?? new MemoryStore();
  const server = options.server ?? new FakeImageServer(clock);
  server.files.set(URL_, image);
  const reports: string[] = [];
  let reboots = 0;
  const makeUpdater = () => {
    const updater = new Updater({
      device: { publicKey: Buffer.from(keys.publicKeyHex, 'hex'), board: 'esp32', currentVersion: flash.runningVersion, partitionBytes: flash.capacityBytes },
      slot: flash.slot,
      boot: flash.boot,
      http: server.get,
      clock,
      store,
      reboot: () => {
        reboots++;
        flash.restart();
      },
      retryDelayMs: 100,
      selfTestMs: 60_000,
    });
    updater.report = (status) => reports.push(status);
    return updater;
  };
  return { clock, flash, store, server, reports, updater: makeUpdater(), makeUpdater, reboots: () => reboots };
}

describe('OTA update', () => {
  it('downloads, verifies, commits, reboots into the new image, which confirms itself after its self-test', () => {
    const r = rig();
    expect(r.updater.start(manifest)).toEqual({ ok: true, version: '1.1.0' });
    r.clock.advance(5000);
    expect(r.reports).toEqual([...['10', '20', '30', '40', '51', '61', '71', '81', '92', '100'].map((p) => `downloading ${p}%`), 'verifying', 'rebooting']);
    expect(r.flash.runningVersion).toBe('1.1.0');
    expect(r.flash.boot.pendingVerify).toBe(true);
    const after = r.makeUpdater(); // the new firmware starting
    after.checkAfterBoot();
    after.healthy();
    expect(r.flash.boot.pendingVerify).toBe(false);
    expect(r.reports.at(-1)).toBe('updated to 1.1.0');
    r.flash.restart();
    expect(r.flash.runningVersion).toBe('1.1.0'); // confirmed: it stays
  });

  const refusals: [string, () => unknown, RegExp][] = [
    ['a bad signature', () => ({ ...manifest, signature: Buffer.alloc(64, 7).toString('base64') }), /signature does not verify/],
    ['a signature by another key', () => manifestFor(image, { version: '1.1.0', board: 'esp32', url: URL_ }, otherKeys.privateKeyPem), /signature does not verify/],
    ['a tampered size', () => ({ ...manifest, size: manifest.size + 1 }), /signature does not verify/],
    ['a tampered URL', () => ({ ...manifest, url: 'http://evil.example/x.bin' }), /signature does not verify/],
    ['a tampered hash', () => ({ ...manifest, sha256: '0'.repeat(64) }), /signature does not verify/],
    ['another board', () => manifestFor(image, { version: '1.1.0', board: 'esp8266', url: URL_ }, keys.privateKeyPem), /for board "esp8266"; this device is "esp32"/],
    ['a downgrade', () => manifestFor(image, { version: '0.9.0', board: 'esp32', url: URL_ }, keys.privateKeyPem), /not newer than the running 1\.0\.0/],
    ['the same version', () => manifestFor(image, { version: '1.0.0', board: 'esp32', url: URL_ }, keys.privateKeyPem), /not newer/],
    ['an image larger than the partition', () => signManifest({ version: '1.1.0', board: 'esp32', url: URL_, size: 1 << 20, sha256: 'a'.repeat(64) }, keys.privateKeyPem), /1048576 bytes; the update partition holds 65536/],
    ['a malformed manifest', () => ({ version: 'one', size: -1 }), /"version" must be x\.y\.z.*"size" must be a positive/],
  ];
  it.each(refusals)('refuses %s before writing anything, and says why', (_name, make, reason) => {
    const r = rig();
    const result = r.updater.start(make());
    expect(result.ok).toBe(false);
    expect((result as { error: string }).error).toMatch(reason);
    expect(r.reports.at(-1)).toMatch(/^failed: /);
    expect(r.server.requests).toEqual([]);
    expect(r.flash.states[1]).toBe('empty');
    expect(r.flash.runningVersion).toBe('1.0.0');
  });

  it('accepts a deliberate, signed downgrade', () => {
    const r = rig({ flash: new FakeFlash('2.0.0') });
    expect(r.updater.start(manifestFor(image, { version: '1.1.0', board: 'esp32', url: URL_, rollback: true }, keys.privateKeyPem)).ok).toBe(true);
  });

  it('resumes a dropped download with a Range request and still verifies the whole image', () => {
    const r = rig();
    r.server.dropAfter = [5000, 7000];
    r.updater.start(manifest);
    r.clock.advance(10_000);
    expect(r.server.requests).toEqual([0, 5000, 12_000]);
    expect(r.reports.at(-1)).toBe('rebooting');
    expect(imageVersion(r.flash.images[r.flash.running])).toBe('1.1.0');
  });

  it('starts over when the server ignores Range, and still verifies', () => {
    const r = rig();
    r.server.dropAfter = [8000];
    r.server.ignoreRange = true;
    r.updater.start(manifest);
    r.clock.advance(10_000);
    expect(r.reports.at(-1)).toBe('rebooting');
  });

  it.each([404, 500])('fails clearly on HTTP %i and keeps the running image', (status) => {
    const r = rig();
    r.server.status = status;
    r.updater.start(manifest);
    r.clock.advance(1000);
    expect(r.reports.at(-1)).toBe(`failed: the image server answered HTTP ${status} for ${URL_}`);
    r.flash.restart();
    expect(r.flash.runningVersion).toBe('1.0.0');
  });

  it('gives up on a truncated image after its retries, and keeps the running image', () => {
    const r = rig();
    r.server.files.set(URL_, image.slice(0, 15_000));
    r.updater.start(manifest);
    r.clock.advance(10_000);
    expect(r.reports.at(-1)).toMatch(/^failed: the download failed 5 times \(last: the connection closed after 15000 of 20000 bytes\)/);
    r.flash.restart();
    expect(r.flash.runningVersion).toBe('1.0.0');
  });

  it('refuses an image whose hash differs from the manifest', () => {
    const r = rig();
    const corrupted = image.slice();
    corrupted[10_000] ^= 1;
    r.server.files.set(URL_, corrupted);
    r.updater.start(manifest);
    r.clock.advance(10_000);
    expect(r.reports.at(-1)).toMatch(/^failed: the image's SHA-256 is [0-9a-f]{64}, the manifest says/);
    r.flash.restart();
    expect(r.flash.runningVersion).toBe('1.0.0');
  });

  it('survives a power loss after every chunk: the old image boots and a retry succeeds', () => {
    const chunks = Math.ceil(image.length / 1024);
    for (let lostAfter = 0; lostAfter <= chunks; lostAfter++) {
      const r = rig();
      r.flash.powerLossAfterWrites = lostAfter;
      r.updater.start(manifest);
      r.clock.advance(10_000); // the write that loses power fails; nothing after it reaches the flash
      expect(r.flash.dead).toBe(lostAfter < chunks);
      r.flash.restart(); // power comes back
      if (r.flash.runningVersion === '1.1.0') {
        // the loss came after the commit: the new image boots, pending its self-test
        expect(lostAfter).toBe(chunks);
        continue;
      }
      expect(r.flash.runningVersion).toBe('1.0.0');
      const retry = r.makeUpdater();
      expect(retry.start(manifest).ok).toBe(true);
      r.clock.advance(10_000);
      expect(r.flash.runningVersion).toBe('1.1.0');
    }
  });

  it('rolls back a new image that fails its self-test, and the old image reports why', () => {
    const r = rig();
    r.updater.start(manifest);
    r.clock.advance(10_000);
    const newFirmware = r.makeUpdater();
    newFirmware.checkAfterBoot();
    r.clock.advance(60_000); // no healthy() within the self-test time
    expect(r.flash.runningVersion).toBe('1.0.0');
    const oldFirmware = r.makeUpdater();
    oldFirmware.checkAfterBoot();
    expect(r.reports.at(-1)).toBe('rolled back from 1.1.0: self-test failed: no sensor reading, broker connection and info within 60 s');
  });

  it('rolls back a new image that restarts before confirming itself (the bootloader does it)', () => {
    const r = rig();
    r.updater.start(manifest);
    r.clock.advance(10_000);
    r.flash.restart(); // crashed during its first run
    expect(r.flash.runningVersion).toBe('1.0.0');
    r.makeUpdater().checkAfterBoot();
    expect(r.reports.at(-1)).toBe('rolled back from 1.1.0: the new image did not confirm itself');
  });

  it('refuses a second update while one is in progress', () => {
    const r = rig();
    expect(r.updater.start(manifest).ok).toBe(true);
    expect(r.updater.start(manifest)).toEqual({ ok: false, error: 'an update to 1.1.0 is already in progress; wait for it to finish' });
  });
});
