// The updater against a fake flash with two slots, ESP-IDF's rollback rules and power loss, and a
// fake image server: every way an update can go wrong leaves the device booting a good image.
import { describe, expect, it } from 'vitest';
import { Updater } from '../../src/ota/updater';
import { FakeFlash, firmwareImage, imageVersion } from '../fakes/fake-flash';
import { FakeImageServer } from '../fakes/fake-http';
import { MemoryStore } from '../fakes/memory-store';
import { VirtualClock } from '../fakes/virtual-clock';
import { checkManifest, OtaError, type ManifestContext } from '../../src/ota/manifest';
import { runOnXs } from '../xs/run-scenario';
import { generateKeyPair, manifestFor, signManifest, type ReleaseFields } from '../../host/ota/signing';

const keys = generateKeyPair();
const otherKeys = generateKeyPair();
const URL_ = 'http://updates.local/altimeter-1.1.0.bin';
const image = firmwareImage('1.1.0', 20_000);
const DEVICE = 'sensor1';
/** What an operator signs; the virtual clock starts on 2026-11-27, well before this expires. */
const RELEASE: ReleaseFields = { version: '1.1.0', board: 'esp32', url: URL_, device: DEVICE, expires: '2027-01-01T00:00:00Z', counter: 10 };
const release = (fields: Partial<ReleaseFields> = {}, privateKeyPem = keys.privateKeyPem) => manifestFor(image, { ...RELEASE, ...fields }, privateKeyPem);
const manifest = release();

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
    expect(r.updater.start(manifest, DEVICE)).toEqual({ ok: true, version: '1.1.0' });
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
    ['a signature by another key', () => release({}, otherKeys.privateKeyPem), /signature does not verify/],
    ['a tampered size', () => ({ ...manifest, size: manifest.size + 1 }), /signature does not verify/],
    ['a tampered URL', () => ({ ...manifest, url: 'http://evil.example/x.bin' }), /signature does not verify/],
    ['a tampered hash', () => ({ ...manifest, sha256: '0'.repeat(64) }), /signature does not verify/],
    ['another board', () => release({ board: 'esp8266' }), /for board "esp8266"; this device is "esp32"/],
    ['a downgrade', () => release({ version: '0.9.0' }), /not newer than the running 1\.0\.0/],
    ['the same version', () => release({ version: '1.0.0' }), /not newer/],
    ['an image larger than the partition', () => signManifest({ ...RELEASE, size: 1 << 20, sha256: 'a'.repeat(64) }, keys.privateKeyPem), /1048576 bytes; the update partition holds 65536/],
    ['a tampered target device', () => ({ ...manifest, device: '*' }), /signature does not verify/],
    ['a tampered expiry', () => ({ ...manifest, expires: '2099-01-01T00:00:00Z' }), /signature does not verify/],
    ['a tampered counter', () => ({ ...manifest, counter: 99 }), /signature does not verify/],
    ['a manifest for another device', () => release({ device: 'sensor2' }), /^the manifest is for device "sensor2"; this is "sensor1"$/],
    ['an expired manifest', () => release({ expires: '2026-11-27T08:59:59Z' }), /^the manifest expired at 2026-11-27T08:59:59Z; the device time is 2026-11-27T09:00:00Z$/],
    ['a manifest without target, expiry or counter', () => signManifest({ version: '1.1.0', board: 'esp32', url: URL_, size: image.length, sha256: 'a'.repeat(64) } as never, keys.privateKeyPem), /"device" must be a device id, or "\*" for the whole fleet; "expires" must be a UTC time, YYYY-MM-DDTHH:MM:SSZ; "counter" must be a whole number, at least 1/],
    ['an expiry that is no time', () => release({ expires: '2026-02-30T00:00:00Z' }), /"expires" must be a UTC time/],
    ['a malformed manifest', () => ({ version: 'one', size: -1 }), /"version" must be x\.y\.z.*"size" must be a positive/],
  ];
  it.each(refusals)('refuses %s before writing anything, and says why', (_name, make, reason) => {
    const r = rig();
    const result = r.updater.start(make(), DEVICE);
    expect(result.ok).toBe(false);
    expect((result as { error: string }).error).toMatch(reason);
    expect(r.reports.at(-1)).toMatch(/^failed: /);
    expect(r.server.requests).toEqual([]);
    expect(r.flash.states[1]).toBe('empty');
    expect(r.flash.runningVersion).toBe('1.0.0');
  });

  it('accepts a deliberate, signed downgrade', () => {
    const r = rig({ flash: new FakeFlash('2.0.0') });
    expect(r.updater.start(release({ rollback: true }), DEVICE).ok).toBe(true);
  });

  it('resumes a dropped download with a Range request and still verifies the whole image', () => {
    const r = rig();
    r.server.dropAfter = [5000, 7000];
    r.updater.start(manifest, DEVICE);
    r.clock.advance(10_000);
    expect(r.server.requests).toEqual([0, 5000, 12_000]);
    expect(r.reports.at(-1)).toBe('rebooting');
    expect(imageVersion(r.flash.images[r.flash.running])).toBe('1.1.0');
  });

  it('starts over when the server ignores Range, and still verifies', () => {
    const r = rig();
    r.server.dropAfter = [8000];
    r.server.ignoreRange = true;
    r.updater.start(manifest, DEVICE);
    r.clock.advance(10_000);
    expect(r.reports.at(-1)).toBe('rebooting');
  });

  it.each([404, 500])('fails clearly on HTTP %i and keeps the running image', (status) => {
    const r = rig();
    r.server.status = status;
    r.updater.start(manifest, DEVICE);
    r.clock.advance(1000);
    expect(r.reports.at(-1)).toBe(`failed: the image server answered HTTP ${status} for ${URL_}`);
    r.flash.restart();
    expect(r.flash.runningVersion).toBe('1.0.0');
  });

  it('gives up on a truncated image after its retries, and keeps the running image', () => {
    const r = rig();
    r.server.files.set(URL_, image.slice(0, 15_000));
    r.updater.start(manifest, DEVICE);
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
    r.updater.start(manifest, DEVICE);
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
      r.updater.start(manifest, DEVICE);
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
      expect(retry.start(manifest, DEVICE).ok).toBe(true);
      r.clock.advance(10_000);
      expect(r.flash.runningVersion).toBe('1.1.0');
    }
  });

  it('rolls back a new image that fails its self-test, and the old image reports why', () => {
    const r = rig();
    r.updater.start(manifest, DEVICE);
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
    r.updater.start(manifest, DEVICE);
    r.clock.advance(10_000);
    r.flash.restart(); // crashed during its first run
    expect(r.flash.runningVersion).toBe('1.0.0');
    r.makeUpdater().checkAfterBoot();
    expect(r.reports.at(-1)).toBe('rolled back from 1.1.0: the new image did not confirm itself');
  });

  it('refuses a second update while one is in progress', () => {
    const r = rig();
    expect(r.updater.start(manifest, DEVICE).ok).toBe(true);
    expect(r.updater.start(manifest, DEVICE)).toEqual({ ok: false, error: 'an update to 1.1.0 is already in progress; wait for it to finish' });
  });
});

describe('updates that cannot be replayed', () => {
  const accepted = (r: ReturnType<typeof rig>) => JSON.parse(r.store.get('ota-accepted') ?? 'null') as { counter: number } | null;
  const installed = (r: ReturnType<typeof rig>) => {
    r.clock.advance(10_000);
    const running = r.makeUpdater(); // the new image starting
    running.checkAfterBoot();
    running.healthy();
    return running;
  };

  it('records the counter before the download starts, then refuses any older manifest, even a signed rollback', () => {
    const r = rig();
    expect(r.updater.start(release({ counter: 10 }), DEVICE).ok).toBe(true);
    expect(r.flash.writes).toBe(0); // nothing written yet …
    expect(accepted(r)?.counter).toBe(10); // … and the counter is already kept
    const now = installed(r);
    expect(r.flash.runningVersion).toBe('1.1.0');
    for (const old of [release({ version: '1.2.0', counter: 9 }), release({ version: '1.0.0', rollback: true, counter: 3 })]) {
      expect(now.start(old, DEVICE)).toEqual({
        ok: false,
        error: `the manifest's counter ${old.counter} is below 10, the last update this device accepted: an old manifest is refused, even a signed rollback`,
      });
    }
    expect(r.reports.at(-1)).toMatch(/^failed: the manifest's counter 3 is below 10/);
    expect(r.server.requests).toEqual([0]); // the first update's download only
    expect(now.start(release({ version: '1.0.0', rollback: true, counter: 11 }), DEVICE).ok).toBe(true); // a newer rollback passes
  });

  it('takes the very same manifest again after an interrupted update, but no other with its counter', () => {
    const r = rig();
    r.flash.powerLossAfterWrites = 3;
    r.updater.start(manifest, DEVICE);
    r.clock.advance(10_000);
    r.flash.restart();
    expect(r.flash.runningVersion).toBe('1.0.0');
    const again = r.makeUpdater();
    expect(again.start(release({ url: 'http://mirror.local/a.bin' }), DEVICE)).toEqual({ ok: false, error: 'counter 10 belongs to another manifest this device already accepted: sign a new one' });
    expect(again.start(manifest, DEVICE).ok).toBe(true);
    const now = installed(r);
    expect(r.flash.runningVersion).toBe('1.1.0');
    expect(now.start(manifest, DEVICE)).toMatchObject({ ok: false, error: expect.stringMatching(/version 1\.1\.0 is not newer than the running 1\.1\.0/) });
  });

  it('accepts a manifest signed for the whole fleet', () => {
    const r = rig();
    expect(r.updater.start(release({ device: '*' }), DEVICE)).toEqual({ ok: true, version: '1.1.0' });
  });

  it('refuses every manifest while the device clock is not set, since its expiry cannot be checked', () => {
    const r = rig({ clock: new VirtualClock(42_000) }); // 42 s after 1970: booted, no network time yet
    expect(r.updater.start(release({ expires: '2099-01-01T00:00:00Z' }), DEVICE)).toEqual({
      ok: false,
      error: "the device clock is not set yet (no network time), so the manifest's expiry cannot be checked: refused; send it again once the clock is set",
    });
    expect(accepted(r)).toBeNull();
  });

  it('fails closed when its record of the last accepted manifest is unreadable', () => {
    const r = rig();
    r.store.set('ota-accepted', '{"counter":');
    expect(r.updater.start(manifest, DEVICE)).toMatchObject({ ok: false, error: expect.stringMatching(/record of the last update this device accepted is unreadable: every manifest is refused/) });
  });

  it('refuses the update when the counter cannot be kept, rather than risk a replay later', () => {
    const r = rig();
    r.store.set = () => {
      throw new RangeError('NVS full');
    };
    expect(r.updater.start(manifest, DEVICE)).toEqual({ ok: false, error: 'the update counter cannot be saved (NVS full): refused, since a replay could not be told apart later' });
    expect(r.server.requests).toEqual([]);
  });
});

describe('the manifest checks on the XS engine', () => {
  it('decide as on Node, with the same reasons', async () => {
    const scenario = new URL('../xs/scenarios/ota-manifest.ts', import.meta.url).pathname;
    const now = Date.UTC(2026, 10, 27, 9, 0, 0);
    const cases: [object, ManifestContext][] = [
      [manifest, { deviceId: DEVICE, nowMs: now }],
      [release({ device: '*' }), { deviceId: 'sensor7', nowMs: now }],
      [release({ device: 'sensor2' }), { deviceId: DEVICE, nowMs: now }],
      [release({ expires: '2026-11-27T09:00:00Z' }), { deviceId: DEVICE, nowMs: now }],
      [manifest, { deviceId: DEVICE, nowMs: 5000 }],
      [release({ counter: 4 }), { deviceId: DEVICE, nowMs: now, last: { counter: 5, signature: 'x' } }],
      [release({ counter: 5 }), { deviceId: DEVICE, nowMs: now, last: { counter: 5, signature: 'x' } }],
      [{ ...manifest, expires: '2026-13-01T00:00:00Z' }, { deviceId: DEVICE, nowMs: now }],
    ];
    const onNode = (m: object, context: ManifestContext) => {
      try {
        return { ok: true, version: checkManifest(m, { publicKey: Buffer.from(keys.publicKeyHex, 'hex'), board: 'esp32', currentVersion: '1.0.0', partitionBytes: 65536 }, context).version };
      } catch (error) {
        return { ok: false, code: (error as OtaError).code, message: (error as Error).message };
      }
    };
    const expected = cases.map(([m, c]) => onNode(m, c));
    expect(expected.map((r) => (r.ok ? 'ok' : (r as { code: string }).code))).toEqual(['ok', 'ok', 'WRONG_DEVICE', 'EXPIRED', 'CLOCK_NOT_SET', 'REPLAYED', 'REPLAYED', 'BAD_MANIFEST']);
    for (const [i, [m, c]] of cases.entries()) {
      const run = await runOnXs(scenario, 'check', [JSON.stringify(m), keys.publicKeyHex, JSON.stringify(c)]);
      expect(run.value).toEqual(expected[i]);
    }
  }, 120_000);
});
