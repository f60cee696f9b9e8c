// The device side of the firmware in the Moddable desktop simulator, on the real runtime.
// - Over-the-air update end to end, with the firmware's own update code (the same as the ESP32's)
//   over the simulator's embedded:update and ESP-IDF functions (boards/sim/esp-idf-sim.c): slots are
//   files, an image is an mc.so, and the harness (host/moddable/sim-device.ts) is the bootloader that
//   relaunches mcsim as the boot record says. The operator's tools are the real ones:
//   `npm run ota -- keygen | sign | serve | push`.
// - The date from SNTP (the SDK's sntp module) against a local server: "ts":null until it answers.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildForSimulator } from '../../host/moddable/build';
import type { ModdableSdk } from '../../host/moddable/sdk';
import { SimulatedDevice, type DeviceRun } from '../../host/moddable/sim-device';
import { freePort, startMosquitto, type Mosquitto } from '../support/mosquitto';
import { decode, testClient, type TestClient } from '../support/test-client';
import { startSntpServer, type SntpServer } from '../support/sntp-server';
import { moddableSdkForTests } from './moddable-sdk';

const run = promisify(execFile);
const tsx = 'node_modules/.bin/tsx';
const sdk: ModdableSdk | undefined = await moddableSdkForTests();
const work = mkdtempSync(path.join(os.tmpdir(), 'altimeter-sim-device-'));
const images = path.join(work, 'images');
const ID = 'simota';
const SELF_TEST_S = 20;
const TIME_ID = 'simtime';
/** The date the SNTP server gives: far from this computer's, so the firmware cannot have it from elsewhere. */
const SNTP_EPOCH_MS = Date.UTC(2031, 4, 4, 12, 0, 0);

describe.skipIf(!sdk)('the firmware\'s device side in the desktop simulator: updates and the date', () => {
  let broker: Mosquitto;
  let server: ChildProcess;
  let ground: TestClient;
  let sntp: SntpServer;
  let timeImage: string;
  const devices: DeviceRun[] = [];
  const manifests: Record<string, string> = {};

  beforeAll(async () => {
    broker = await startMosquitto();
    mkdirSync(images);
    await run(tsx, ['host/ota/cli.ts', 'keygen', '--out', work]);
    const publicKey = readFileSync(path.join(work, 'ota-public.hex'), 'utf8').trim();
    const imagePort = await freePort();
    const deadPort = await freePort();
    // One full build, then only the config changes: make rebuilds mc/config and links again.
    const out = path.join(work, 'build');
    const common = { deviceId: ID, otaPublicKey: publicKey, otaSelfTestS: SELF_TEST_S };
    const variants: [string, Record<string, string | number>][] = [
      ['0.1.0', { brokerPort: broker.port }],
      ['0.2.0', { brokerPort: broker.port }],
      ['0.3.0', { brokerPort: deadPort }], // cannot reach the broker: fails its self-test
    ];
    for (const [version, config] of variants) {
      const mcSo = await buildForSimulator(sdk!, out, { config: { ...common, ...config, firmwareVersion: version } });
      const image = path.join(images, `altimeter-${version}.so`);
      copyFileSync(mcSo, image);
      if (version === '0.1.0') continue;
      // One device, a day to live, a counter that grows with the version (signed in the same second).
      const counter = version.split('.')[1];
      await run(tsx, ['host/ota/cli.ts', 'sign', image, '--version', version, '--board', 'sim', '--url', `http://127.0.0.1:${imagePort}/altimeter-${version}.so`, '--device', ID, '--counter', counter, '--key', path.join(work, 'ota-private.pem')]);
      manifests[version] = `${image}.manifest.json`;
    }
    // The same build asks a local SNTP server for the date, which ignores its first two requests.
    sntp = await startSntpServer(SNTP_EPOCH_MS, { ignoreFirst: 2 });
    timeImage = path.join(images, 'altimeter-time.so');
    copyFileSync(await buildForSimulator(sdk!, out, { config: { deviceId: TIME_ID, brokerPort: broker.port, firmwareVersion: '0.1.0', sntpServers: sntp.address } }), timeImage);
    // 1 MB/s, as over a field link. (The simulator's own socket reads about 50 KB/s, so a 4 MB image
    // takes a minute and a half anyway: time enough to cut the power in the middle.)
    server = spawn(tsx, ['host/ota/cli.ts', 'serve', images, '--port', String(imagePort), '--rate', '1024'], { stdio: 'ignore' });
    ground = testClient(broker.port);
    ground.client.connect();
    await ground.next('connect');
    ground.client.subscribe([{ filter: `${ID}/#`, qos: 1 }, { filter: `${TIME_ID}/#`, qos: 1 }]);
    await ground.next('subscribed');
  }, 3_600_000); // a cold simulator build on a loaded machine

  afterAll(async () => {
    for (const device of devices) await device.off();
    server?.kill('SIGINT');
    await sntp?.close();
    ground?.client.end();
    await broker?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const texts = (topic: string) => ground.messages.filter((m) => m.topic === `${ID}/${topic}`).map((m) => decode(m.payload));
  const until = async (condition: () => boolean, what: string, timeoutMs = 120_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const infoSince = (count: number) => texts('info').slice(count).map((t) => JSON.parse(t) as { fw: string; resetReason: string });
  const push = (version: string) =>
    run(tsx, ['host/ota/cli.ts', 'push', manifests[version], '--broker', `mqtt://127.0.0.1:${broker.port}`, '--id', ID, '--timeout', '600'], { timeout: 660_000 });

  it('0.1.0 takes a signed manifest over MQTT, downloads 0.2.0 from `ota serve`, commits, is relaunched into it, and 0.2.0 passes its self-test and confirms itself', async () => {
    const device = SimulatedDevice.flash(path.join(work, 'flash-a'), path.join(images, 'altimeter-0.1.0.so'));
    const sim = device.powerOn(sdk!, { headless: true });
    devices.push(sim);
    await until(() => infoSince(0).some((i) => i.fw === '0.1.0'), '0.1.0 online');
    expect(infoSince(0).find((i) => i.fw === '0.1.0')!.resetReason).toBe('power-on');
    const otaBefore = texts('ota').length;
    const infoBefore = texts('info').length;
    const pushed = await push('0.2.0');
    expect(pushed.stdout).toContain(`${ID}/ota: updated to 0.2.0`);
    const progress = texts('ota').slice(otaBefore);
    expect(progress[0]).toMatch(/^downloading \d+%$/);
    expect(progress).toEqual(expect.arrayContaining(['downloading 100%', 'verifying', 'rebooting', 'updated to 0.2.0']));
    expect(sim.launches).toBe(2); // the firmware restarted itself and the bootloader started the new slot
    expect(infoSince(infoBefore).at(-1)).toMatchObject({ fw: '0.2.0', resetReason: 'software' });
    expect(sim.traces).toContain('ota: 0.2.0 passed its self-test and is now confirmed');
    expect(device.read()).toMatchObject({ running: 1, states: ['none', 'valid'] });
    // Confirmed: a power cycle keeps it.
    await sim.powerLoss();
    const infoAfterUpdate = texts('info').length;
    sim.powerOn();
    await until(() => infoSince(infoAfterUpdate).length > 0, 'info after the power cycle');
    expect(infoSince(infoAfterUpdate)[0]).toMatchObject({ fw: '0.2.0', resetReason: 'power-on' });
  }, 1_200_000);

  it('rolls back an image that fails its self-test: 0.3.0 cannot reach the broker, gives up on itself, and 0.2.0 says why', async () => {
    const device = new SimulatedDevice(path.join(work, 'flash-a'));
    const sim = devices[0];
    const otaBefore = texts('ota').length;
    const infoBefore = texts('info').length;
    // 0.3.0 never reaches the broker, so push never sees "updated to"; it ends with the rollback report.
    const pushed = await push('0.3.0').catch((error: { stdout: string }) => error);
    expect(pushed.stdout).toContain(`${ID}/ota: rolled back from 0.3.0: self-test failed: no sensor reading, broker connection and info within ${SELF_TEST_S} s`);
    expect(texts('ota').slice(otaBefore)).toEqual(expect.arrayContaining(['verifying', 'rebooting']));
    expect(sim.traces.some((line) => line.startsWith('altimeter simota 0.3.0 starting'))).toBe(true);
    expect(device.read()).toMatchObject({ running: 1, states: ['invalid', 'valid'] });
    expect(infoSince(infoBefore).at(-1)).toMatchObject({ fw: '0.2.0', resetReason: 'software' });
  }, 1_200_000);

  it('cut off mid-download (kill -9), it starts the old image again, the slot never bootable; the update then restarts from the beginning and completes', async () => {
    await devices[0]?.off(); // one node with this id at a time
    const device = SimulatedDevice.flash(path.join(work, 'flash-b'), path.join(images, 'altimeter-0.1.0.so'));
    const sim = device.powerOn(sdk!, { headless: true });
    devices.push(sim);
    const infoBefore = texts('info').length;
    await until(() => infoSince(infoBefore).some((i) => i.fw === '0.1.0'), '0.1.0 online');
    const otaBefore = texts('ota').length;
    const manifest = JSON.parse(readFileSync(manifests['0.2.0'], 'utf8')) as Record<string, unknown>;
    ground.client.publish(`${ID}/cmd/ota`, JSON.stringify({ id: 'cut', ...manifest }), 1);
    await until(() => texts('ota').slice(otaBefore).some((t) => /^downloading [3-9]\d%$/.test(t)), 'a third of the download');
    await sim.powerLoss();
    expect(texts('ota').slice(otaBefore)).not.toContain('verifying');
    expect(device.read()).toMatchObject({ running: 0, next: 0, states: ['none', 'empty'] });
    const infoAfterCut = texts('info').length;
    sim.powerOn();
    await until(() => infoSince(infoAfterCut).length > 0, 'info after the power came back');
    expect(infoSince(infoAfterCut)[0]).toMatchObject({ fw: '0.1.0', resetReason: 'power-on' });
    expect(sim.traces.at(-1)).not.toMatch(/bricked/);
    const pushed = await push('0.2.0');
    expect(pushed.stdout).toContain(`${ID}/ota: updated to 0.2.0`);
    expect(device.read()).toMatchObject({ running: 1, states: ['none', 'valid'] });
  }, 1_200_000);

  it('publishes "ts":null with the uptime until SNTP answers, then the date SNTP gave', async () => {
    const device = SimulatedDevice.flash(path.join(work, 'flash-time'), timeImage);
    const sim = device.powerOn(sdk!, { headless: true });
    devices.push(sim);
    const telemetry = () => ground.messages.filter((m) => m.topic === `${TIME_ID}/telemetry`).map((m) => JSON.parse(decode(m.payload)));
    await until(() => telemetry().some((t) => t.ts !== null), 'a dated reading', 120_000);
    const readings = telemetry();
    const first = readings.findIndex((t) => t.ts !== null);
    expect(first).toBeGreaterThan(2); // the server ignored two requests, five seconds apart
    for (const early of readings.slice(0, first)) {
      expect(early.ts).toBeNull();
      expect(early.upMs).toBeGreaterThan(0);
    }
    // The server's date runs on from SNTP_EPOCH_MS since it started (before the other tests ran):
    // the reading carries the date the server gave, give or take the time since it was taken.
    expect(readings[first].ts).toBeGreaterThanOrEqual(SNTP_EPOCH_MS);
    expect(readings[first].ts).toBeLessThanOrEqual(sntp.dateMs());
    expect(readings[first].ts).toBeGreaterThan(sntp.dateMs() - 120_000);
    expect(readings[first]).not.toHaveProperty('upMs');
    expect(sim.traces.some((line) => /^time: 2031-05-04T1\d:\d\d:\d\d\.000Z from 127\./.test(line))).toBe(true);
    expect(sntp.requests).toBeGreaterThanOrEqual(3);
    await sim.off();
  }, 600_000);
});
