// The updater with the firmware's own Moddable adapters (src/platform/moddable/firmware-update.ts:
// partitionSlot over embedded:update, the boot state from ESP-IDF through mc/ffi, the HTTP client,
// the native Digest; the key/value store over Preference) against emulators that keep the SDK's and
// ESP-IDF's contracts (host-tests/fakes/moddable): every way an update can go wrong leaves the device
// booting a good image. Each test names the rule of the C code it relies on.
import { beforeEach, describe, expect, it } from 'vitest';
import { createUpdater } from '../../src/platform/moddable/firmware-update';
import { preferenceStore } from '../../src/platform/moddable/preference-store';
import { verifyP256Signature } from '../../src/ota/p256';
import type { Updater } from '../../src/ota/updater';
import { checkManifest, OtaError, type ManifestContext } from '../../src/ota/manifest';
import { generateKeyPair, manifestFor, signManifest, type ReleaseFields } from '../../host/ota/signing';
import { Esp32Device, installDevice, ResetReason } from '../fakes/moddable/esp32-device';
import { makeEspImage, verifyEspImage } from '../fakes/moddable/esp-image';
import { OtaImageState } from '../fakes/moddable/esp-idf-ota';
import { VirtualClock } from '../fakes/virtual-clock';
import { runOnXs } from '../xs/run-scenario';

const keys = generateKeyPair();
const otherKeys = generateKeyPair();
const URL_ = 'http://updates.local/altimeter-1.1.0.bin';
const SLOT_BYTES = 0x170000; // ota_0 / ota_1 in boards/esp32/partitions.csv
const image = makeEspImage('1.1.0', 20_000);
const DEVICE = 'sensor1';
/** What an operator signs; the virtual clock starts on 2026-11-27, well before this expires. */
const RELEASE: ReleaseFields = { version: '1.1.0', board: 'esp32', url: URL_, device: DEVICE, expires: '2027-01-01T00:00:00Z', counter: 10 };
const release = (fields: Partial<ReleaseFields> = {}, privateKeyPem = keys.privateKeyPem, bytes = image) => manifestFor(bytes, { ...RELEASE, ...fields }, privateKeyPem);
const manifest = release();

interface Rig {
  device: Esp32Device;
  reports: string[];
  log: string[];
  /** Flash writes done when the firmware asked for its reboot into the new image. */
  writesAtReboot: number;
  updater: Updater;
  /** The firmware starting again after a reset: new objects, as on the device. */
  start(): Updater;
}

function rig(device = new Esp32Device({ firmwareVersion: '1.0.0' })): Rig {
  installDevice(device);
  device.imageServer.files.set(URL_, image);
  const reports: string[] = [];
  const log: string[] = [];
  const start = () => {
    const updater = createUpdater(
      { otaPublicKey: keys.publicKeyHex, otaPartitionBytes: SLOT_BYTES },
      {
        board: 'esp32',
        currentVersion: device.runningVersion,
        clock: device.clock,
        store: preferenceStore('altimeter'),
        reboot: () => {
          result.writesAtReboot = device.flash.writes;
          device.reboot();
        },
        log: (line) => log.push(line),
        verifySignature: verifyP256Signature,
      },
    )!;
    updater.report = (status) => reports.push(status);
    return updater;
  };
  const result: Rig = { device, reports, log, writesAtReboot: 0, updater: undefined as unknown as Updater, start };
  result.updater = start();
  return result;
}

/** How many flash and NVS writes a whole update takes, up to the reboot. */
function writesOfAnUpdate(): number {
  const probe = rig();
  probe.updater.start(manifest, DEVICE);
  probe.device.run(10_000);
  expect(probe.writesAtReboot).toBeGreaterThan(0);
  return probe.writesAtReboot;
}

/** Runs the firmware until the device has reset as it asked (esp_restart), then boots it. */
function runUntilReset(r: Rig, ms: number): void {
  r.device.clock.advance(ms);
  if (r.device.restartRequested) r.device.reboot();
}

const inactiveSlot = (device: Esp32Device) => device.ota.getNextUpdatePartition();
const erased = (bytes: Uint8Array) => bytes.every((b) => b === 0xff);

describe('OTA update on the ESP32 adapter', () => {
  let r: Rig;
  beforeEach(() => {
    r = rig();
  });

  it('downloads, verifies, commits and reboots; the new image boots on trial (ESP-IDF PENDING_VERIFY), confirms itself and stays', () => {
    expect(r.updater.start(manifest, DEVICE)).toEqual({ ok: true, version: '1.1.0' });
    r.device.clock.advance(10_000); // the updater reboots 1 s after the commit
    expect(r.reports).toEqual([...['10', '20', '30', '40', '51', '61', '71', '81', '92', '100'].map((p) => `downloading ${p}%`), 'verifying', 'rebooting']);
    expect(r.device.runningVersion).toBe('1.1.0');
    // esp-idf-ota.ts bootloader: a NEW entry becomes PENDING_VERIFY when it boots.
    expect(r.device.ota.getStatePartition(r.device.ota.running).state).toBe(OtaImageState.PENDING_VERIFY);
    const after = r.start();
    after.checkAfterBoot();
    after.healthy(); // esp_ota_mark_app_valid_cancel_rollback
    expect(r.device.ota.getStatePartition(r.device.ota.running).state).toBe(OtaImageState.VALID);
    expect(r.reports.at(-1)).toBe('updated to 1.1.0');
    r.device.powerCycle();
    expect(r.device.runningVersion).toBe('1.1.0');
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
    ['an image larger than the partition', () => signManifest({ ...RELEASE, size: 4 << 20, sha256: 'a'.repeat(64) }, keys.privateKeyPem), /4194304 bytes; the update partition holds 1507328/],
    ['a tampered target device', () => ({ ...manifest, device: '*' }), /signature does not verify/],
    ['a tampered expiry', () => ({ ...manifest, expires: '2099-01-01T00:00:00Z' }), /signature does not verify/],
    ['a tampered counter', () => ({ ...manifest, counter: 99 }), /signature does not verify/],
    ['a manifest for another device', () => release({ device: 'sensor2' }), /^the manifest is for device "sensor2"; this is "sensor1"$/],
    ['an expired manifest', () => release({ expires: '2026-11-27T08:59:59Z' }), /^the manifest expired at 2026-11-27T08:59:59Z; the device time is 2026-11-27T09:00:00Z$/],
    ['a manifest without target, expiry or counter', () => signManifest({ version: '1.1.0', board: 'esp32', url: URL_, size: image.length, sha256: 'a'.repeat(64) } as never, keys.privateKeyPem), /"device" must be a device id, or "\*" for the whole fleet; "expires" must be a UTC time, YYYY-MM-DDTHH:MM:SSZ; "counter" must be a whole number, at least 1/],
    ['an expiry that is no time', () => release({ expires: '2026-02-30T00:00:00Z' }), /"expires" must be a UTC time/],
    ['a malformed manifest', () => ({ version: 'one', size: -1 }), /"version" must be x\.y\.z.*"size" must be a positive/],
  ];
  it.each(refusals)('refuses %s before touching the flash, and says why', (_name, make, reason) => {
    const result = r.updater.start(make(), DEVICE);
    expect(result.ok).toBe(false);
    expect((result as { error: string }).error).toMatch(reason);
    expect(r.device.imageServer.requests).toEqual([]);
    expect(r.device.flash.erases).toBe(0); // esp_ota_begin never ran
    expect(erased(inactiveSlot(r.device).bytes)).toBe(true);
  });

  it('accepts a deliberate, signed downgrade', () => {
    const r2 = rig(new Esp32Device({ firmwareVersion: '2.0.0' }));
    expect(r2.updater.start(release({ rollback: true }), DEVICE).ok).toBe(true);
  });

  it('resumes a dropped download with a Range request, and the image in flash verifies', () => {
    r.device.imageServer.dropAfter = [5000, 7000];
    r.updater.start(manifest, DEVICE);
    r.device.clock.advance(10_000);
    expect(r.device.imageServer.requests).toEqual([0, 5000, 12_000]);
    expect(r.device.runningVersion).toBe('1.1.0');
  });

  it('drops a download that stalls (no data, no error) after 30 s and resumes it where it stopped', () => {
    r.device.imageServer.stallAfter = [6000];
    r.updater.start(manifest, DEVICE);
    r.device.run(60_000);
    expect(r.device.imageServer.requests).toEqual([0, 6000]);
    expect(r.log).toContain('ota: no data for 30 s after byte 6000; resuming from byte 6000 in 2000 ms');
    expect(r.device.runningVersion).toBe('1.1.0');
  });

  it('starts over when the server ignores Range, erasing the slot again (esp_ota_write_with_offset erases nothing)', () => {
    r.device.imageServer.dropAfter = [8000];
    r.device.imageServer.ignoreRange = true;
    r.updater.start(manifest, DEVICE);
    const erasesAtBegin = r.device.flash.erases;
    r.device.clock.advance(10_000);
    expect(r.device.flash.erases).toBeGreaterThan(erasesAtBegin); // embedded:update opened again: esp_ota_begin erased again
    expect(r.log).toContain('ota: the server sent the whole image again; restarting the download');
    expect(r.device.runningVersion).toBe('1.1.0');
  });

  it('a slot written again from byte 0 with different bytes still holds exactly the new image (NOR flash: no write without erase)', async () => {
    const { partitionSlot } = await import('../../src/platform/moddable/firmware-update');
    const slot = partitionSlot(SLOT_BYTES);
    const other = makeEspImage('1.1.0', image.length, 7); // same size, other bytes
    slot.begin(image.length);
    slot.write(0, other.subarray(0, 8192));
    slot.write(0, image.subarray(0, 10_000)); // starting over: reopened and erased, not ANDed with `other`
    slot.write(10_000, image.subarray(10_000));
    slot.commit();
    expect(verifyEspImage(inactiveSlot(r.device).bytes)).toMatchObject({ ok: true, version: '1.1.0' });
    expect(() => slot.write(0, image)).toThrow('no update is open');
  });

  it.each([404, 500])('fails clearly on HTTP %i and keeps the running image', (status) => {
    r.device.imageServer.status = status;
    r.updater.start(manifest, DEVICE);
    r.device.clock.advance(1000);
    expect(r.reports.at(-1)).toBe(`failed: the image server answered HTTP ${status} for ${URL_}`);
    r.device.powerCycle();
    expect(r.device.runningVersion).toBe('1.0.0');
  });

  it('gives up on a truncated image after its retries, and keeps the running image', () => {
    r.device.imageServer.files.set(URL_, image.slice(0, 15_000));
    r.updater.start(manifest, DEVICE);
    r.device.clock.advance(15_000);
    expect(r.reports.at(-1)).toMatch(/^failed: the download failed 5 times \(last: the connection closed after 15000 of 20000 bytes\)/);
    r.device.powerCycle();
    expect(r.device.runningVersion).toBe('1.0.0');
  });

  it('refuses an image whose hash differs from the manifest, before esp_ota_end', () => {
    const corrupted = image.slice();
    corrupted[10_000] ^= 1;
    r.device.imageServer.files.set(URL_, corrupted);
    r.updater.start(manifest, DEVICE);
    r.device.clock.advance(10_000);
    expect(r.reports.at(-1)).toMatch(/^failed: the image's SHA-256 is [0-9a-f]{64}, the manifest says/);
    r.device.powerCycle();
    expect(r.device.runningVersion).toBe('1.0.0');
  });

  it('survives a power loss in any flash or NVS write (torn writes included): the old image boots and a retry succeeds', () => {
    const writes = writesOfAnUpdate();
    expect(writes).toBeGreaterThan(20); // every image chunk, the update record, the otadata entry
    for (let lostAfter = 0; lostAfter < writes; lostAfter++) {
      const t = rig();
      t.device.flash.powerLossAfterWrites = lostAfter;
      t.updater.start(manifest, DEVICE);
      t.device.run(10_000); // the firmware stops at the torn write
      expect(t.device.flash.dead).toBe(true);
      t.device.powerCycle();
      expect(t.device.runningVersion).toBe('1.0.0'); // never a half-written image
      const retry = t.start();
      retry.checkAfterBoot();
      expect(retry.start(manifest, DEVICE).ok).toBe(true);
      t.device.clock.advance(10_000);
      expect(t.device.runningVersion).toBe('1.1.0');
    }
  });

  it('rolls back a new image that fails its self-test, on a device whose first image came by cable (ESP_ERR_OTA_ROLLBACK_FAILED, then a restart)', () => {
    r.updater.start(manifest, DEVICE);
    r.device.clock.advance(10_000);
    const newFirmware = r.start();
    newFirmware.checkAfterBoot();
    // esp_ota_mark_app_invalid_rollback_and_reboot refuses: otadata has no valid entry for ota_0.
    expect(r.device.ota.rollbackIsPossible()).toBe(false);
    runUntilReset(r, 120_000);
    expect(r.log.some((line) => /returned 0x1505; restarting so the bootloader rolls back/.test(line))).toBe(true);
    expect(r.device.runningVersion).toBe('1.0.0');
    const oldFirmware = r.start();
    oldFirmware.checkAfterBoot();
    expect(r.reports.at(-1)).toBe('rolled back from 1.1.0: self-test failed: no sensor reading, broker connection and info within 120 s');
  });

  it('rolls back through esp_ota_mark_app_invalid_rollback_and_reboot when the previous image is valid in otadata', () => {
    r.updater.start(manifest, DEVICE);
    r.device.clock.advance(10_000);
    const v11 = r.start();
    v11.checkAfterBoot();
    v11.healthy();
    const image12 = makeEspImage('1.2.0', 30_000);
    r.device.imageServer.files.set('http://updates.local/1.2.0.bin', image12);
    expect(v11.start(release({ version: '1.2.0', url: 'http://updates.local/1.2.0.bin', counter: 11 }, keys.privateKeyPem, image12), DEVICE).ok).toBe(true);
    r.device.clock.advance(10_000);
    expect(r.device.runningVersion).toBe('1.2.0');
    const v12 = r.start();
    v12.checkAfterBoot();
    expect(r.device.ota.rollbackIsPossible()).toBe(true);
    runUntilReset(r, 120_000);
    expect(r.log.some((line) => /returned 0x0;/.test(line))).toBe(true);
    expect(r.device.runningVersion).toBe('1.1.0');
    r.start().checkAfterBoot();
    expect(r.reports.at(-1)).toBe('rolled back from 1.2.0: self-test failed: no sensor reading, broker connection and info within 120 s');
  });

  it('rolls back a new image that resets before confirming itself (the bootloader aborts it)', () => {
    r.updater.start(manifest, DEVICE);
    r.device.clock.advance(10_000);
    r.device.boot(ResetReason.PANIC); // crashed during its first run
    expect(r.device.runningVersion).toBe('1.0.0');
    r.start().checkAfterBoot();
    expect(r.reports.at(-1)).toBe('rolled back from 1.1.0: the new image did not confirm itself');
  });

  it('takes the trial state from ESP-IDF: with its own record gone, a new image still self-tests and confirms itself', () => {
    r.updater.start(manifest, DEVICE);
    r.device.clock.advance(10_000);
    const store = preferenceStore('altimeter');
    store.delete('ota-pending'); // the record of our own is missing
    const after = r.start();
    after.checkAfterBoot();
    expect(r.log).toContain('ota: 1.1.0 is on trial but left no record of the update; self-testing anyway');
    after.healthy();
    r.device.powerCycle();
    expect(r.device.runningVersion).toBe('1.1.0'); // confirmed: no silent revert
  });

  it('refuses an update while the running image is still on trial (esp_ota_begin would refuse with ESP_ERR_OTA_ROLLBACK_INVALID_STATE)', () => {
    r.updater.start(manifest, DEVICE);
    r.device.clock.advance(10_000);
    const onTrial = r.start();
    expect(onTrial.start(release({ version: '1.2.0', counter: 11 }, keys.privateKeyPem, makeEspImage('1.2.0')), DEVICE)).toEqual({
      ok: false,
      error: 'the running image has not confirmed itself yet; try again after its self-test',
    });
  });

  it('says an update was not installed when power failed while the new image was being made bootable', () => {
    const writes = writesOfAnUpdate();
    r = rig(); // the probe installed its own device
    r.device.flash.powerLossAfterWrites = writes - 1; // the otadata write of esp_ota_set_boot_partition tears
    r.updater.start(manifest, DEVICE);
    r.device.run(10_000);
    r.device.powerCycle();
    expect(r.device.runningVersion).toBe('1.0.0');
    r.start().checkAfterBoot();
    expect(r.reports.at(-1)).toBe('update to 1.1.0 not installed: it was interrupted before the new image was made bootable; 1.0.0 runs');
  });

  it('refuses a second update while one is in progress', () => {
    expect(r.updater.start(manifest, DEVICE).ok).toBe(true);
    expect(r.updater.start(manifest, DEVICE)).toEqual({ ok: false, error: 'an update to 1.1.0 is already in progress; wait for it to finish' });
  });
});

describe('updates that cannot be replayed', () => {
  const store = () => preferenceStore('altimeter');
  const accepted = () => JSON.parse(store().get('ota-accepted') ?? 'null') as { counter: number } | null;
  const installed = (r: Rig) => {
    r.device.clock.advance(10_000);
    const running = r.start(); // the new image starting
    running.checkAfterBoot();
    running.healthy();
    return running;
  };

  it('records the counter before the download starts, then refuses any older manifest, even a signed rollback', () => {
    const r = rig();
    expect(r.updater.start(release({ counter: 10 }), DEVICE).ok).toBe(true);
    expect(erased(inactiveSlot(r.device).bytes)).toBe(true); // no image byte written yet …
    expect(accepted()?.counter).toBe(10); // … and the counter is already kept
    const now = installed(r);
    expect(r.device.runningVersion).toBe('1.1.0');
    for (const old of [release({ version: '1.2.0', counter: 9 }), release({ version: '1.0.0', rollback: true, counter: 3 })]) {
      expect(now.start(old, DEVICE)).toEqual({
        ok: false,
        error: `the manifest's counter ${old.counter} is below 10, the last update this device accepted: an old manifest is refused, even a signed rollback`,
      });
    }
    expect(r.reports.at(-1)).toMatch(/^failed: the manifest's counter 3 is below 10/);
    expect(r.device.imageServer.requests).toEqual([0]); // the first update's download only
    expect(now.start(release({ version: '1.0.0', rollback: true, counter: 11 }), DEVICE).ok).toBe(true); // a newer rollback passes
  });

  it('takes the very same manifest again after an interrupted update, but no other with its counter', () => {
    const r = rig();
    expect(r.updater.start(manifest, DEVICE).ok).toBe(true);
    r.device.flash.powerLossAfterWrites = 3; // during the download
    r.device.run(10_000);
    expect(r.device.flash.dead).toBe(true);
    r.device.powerCycle();
    expect(r.device.runningVersion).toBe('1.0.0');
    const again = r.start();
    again.checkAfterBoot();
    expect(again.start(release({ url: 'http://mirror.local/a.bin' }), DEVICE)).toEqual({ ok: false, error: 'counter 10 belongs to another manifest this device already accepted: sign a new one' });
    expect(again.start(manifest, DEVICE).ok).toBe(true);
    const now = installed(r);
    expect(r.device.runningVersion).toBe('1.1.0');
    expect(now.start(manifest, DEVICE)).toMatchObject({ ok: false, error: expect.stringMatching(/version 1\.1\.0 is not newer than the running 1\.1\.0/) });
  });

  it('accepts a manifest signed for the whole fleet', () => {
    expect(rig().updater.start(release({ device: '*' }), DEVICE)).toEqual({ ok: true, version: '1.1.0' });
  });

  it('refuses every manifest while the device does not know the date (no SNTP answer yet), since its expiry cannot be checked', () => {
    /** The device's clock before SNTP: it counts from boot and has no date (src/platform/moddable/clock.ts). */
    class ClockBeforeSntp extends VirtualClock {
      epochMs(): number | undefined {
        return undefined;
      }
    }
    const r = rig(new Esp32Device({ firmwareVersion: '1.0.0', clock: new ClockBeforeSntp(42_000) }));
    expect(r.updater.start(release({ expires: '2099-01-01T00:00:00Z' }), DEVICE)).toEqual({
      ok: false,
      error: "the device clock is not set yet (no network time), so the manifest's expiry cannot be checked: refused; send it again once the clock is set",
    });
    expect(accepted()).toBeNull();
  });

  it('fails closed when its record of the last accepted manifest is unreadable', () => {
    const r = rig();
    store().set('ota-accepted', '{"counter":');
    expect(r.updater.start(manifest, DEVICE)).toMatchObject({ ok: false, error: expect.stringMatching(/record of the last update this device accepted is unreadable: every manifest is refused/) });
  });

  it('refuses the update when the counter cannot be kept (NVS full: Preference.set throws "nvs set fail"), rather than risk a replay later', () => {
    const r = rig();
    // Fill NVS with ever smaller values until not even a short one fits.
    const filler = preferenceStore('filler');
    let refusals = 0;
    for (const size of [1800, 200, 20, 1]) {
      for (let i = 0; i < 200; i++) {
        try {
          filler.set(`k${size}-${i}`, 'x'.repeat(size));
        } catch {
          refusals++;
          break;
        }
      }
    }
    expect(refusals).toBe(4);
    expect(r.updater.start(manifest, DEVICE)).toEqual({ ok: false, error: 'the update counter cannot be saved (nvs set fail): refused, since a replay could not be told apart later' });
    expect(r.device.imageServer.requests).toEqual([]);
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
      [manifest, { deviceId: DEVICE, nowMs: null }],
      [release({ counter: 4 }), { deviceId: DEVICE, nowMs: now, last: { counter: 5, signature: 'x' } }],
      [release({ counter: 5 }), { deviceId: DEVICE, nowMs: now, last: { counter: 5, signature: 'x' } }],
      [{ ...manifest, expires: '2026-13-01T00:00:00Z' }, { deviceId: DEVICE, nowMs: now }],
    ];
    const onNode = (m: object, context: ManifestContext) => {
      try {
        return { ok: true, version: checkManifest(m, { publicKey: Buffer.from(keys.publicKeyHex, 'hex'), board: 'esp32', currentVersion: '1.0.0', partitionBytes: 65536, verifySignature: verifyP256Signature }, context).version };
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
