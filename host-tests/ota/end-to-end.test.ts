// The whole update path as an operator runs it: `npm run ota -- keygen`, `sign`, `serve`, and
// `push` through a real Mosquitto to the host simulation's node, which downloads, verifies, reboots
// into the new firmware, passes its self-test and reports the new version.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firmwareHeader } from '../../src/platform/node/host-flash';
import { partiesJson, readParties } from '../../host/broker/accounts';
import { manifestFor, type ReleaseFields } from '../../host/ota/signing';
import { lastLines, waitUntil } from '../support/deadline';
import { freePort, startMosquitto, type Mosquitto } from '../support/mosquitto';
import { login, startGeneratedMosquitto } from '../support/secured-brokers';
import { decode, testClient } from '../support/test-client';

const run = promisify(execFile);
const tsx = 'node_modules/.bin/tsx';
let broker: Mosquitto;
const children: ChildProcess[] = [];

beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  for (const child of children) child.kill('SIGINT');
  await new Promise((r) => setTimeout(r, 500));
  await broker.close();
});

describe('npm run ota -- sign', () => {
  it('signs for the whole fleet only when told --fleet, and never for a device id no device can have', async () => {
    const sign = (...target: string[]) =>
      run(tsx, ['host/ota/cli.ts', 'sign', 'image.bin', '--version', '1.0.0', '--board', 'esp32', '--url', 'http://x/i.bin', ...target]).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => e,
      );
    const cases: [string[], string][] = [
      [['--device', '*'], 'error: --device takes one device id; to sign for every device of the fleet, say --fleet'],
      [['--device', 'sensor1/cmd'], 'error: --device must be a device id (1 to 32 letters, digits, "_" or "-"), not "sensor1/cmd": every device would refuse the manifest'],
      [[], 'error: sign needs its target: --device ID for one device, or --fleet for every device (not both)'],
    ];
    const results = await Promise.all(cases.map(([target]) => sign(...target)));
    for (const [i, [target, reason]] of cases.entries()) {
      expect(results[i].code, target.join(' ')).toBe(2);
      expect(results[i].stderr.split('\n')[0]).toBe(reason);
    }
  }, 120_000);
});

describe('over-the-air update, end to end', () => {
  it('updates the host simulation node from `npm run ota -- serve` through a real broker', async () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'altimeter-ota-e2e-'));
    await run(tsx, ['host/ota/cli.ts', 'keygen', '--out', work]);
    const publicKey = readFileSync(path.join(work, 'ota-public.hex'), 'utf8').trim();
    const images = path.join(work, 'images');
    mkdirSync(images);
    const image = path.join(images, 'altimeter-0.2.0.bin');
    writeFileSync(image, Buffer.concat([Buffer.from(firmwareHeader('0.2.0')), Buffer.alloc(200_000, 0x5a)]));
    const port = await freePort();
    const signed = await run(tsx, ['host/ota/cli.ts', 'sign', image, '--version', '0.2.0', '--board', 'host-simulation', '--url', `http://127.0.0.1:${port}/altimeter-0.2.0.bin`, '--key', path.join(work, 'ota-private.pem'), '--device', 'sensor1', '--counter', '100']);
    expect(signed.stdout).toMatch(/: 0\.2\.0 for device sensor1, valid until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, counter 100/);
    expect(JSON.parse(readFileSync(`${image}.manifest.json`, 'utf8'))).toMatchObject({ device: 'sensor1', counter: 100 });

    const server = spawn(tsx, ['host/ota/cli.ts', 'serve', images, '--port', String(port)], { stdio: 'ignore' });
    children.push(server);
    const ground = testClient(broker.port);
    const up = ground.next('connect');
    ground.client.connect();
    await up;
    ground.client.subscribe('sensor1/#', 1);
    await ground.next('subscribed');
    const node = spawn(tsx, ['host/simulate.ts', '--broker', `mqtt://127.0.0.1:${broker.port}`, '--ota-key', publicKey, '--state', path.join(work, 'device'), '--speed', '10', '--json'], { stdio: 'ignore' });
    children.push(node);
    const texts = (topic: string) => ground.messages.filter((m) => m.topic === topic).map((m) => decode(m.payload));
    const context = () => `${lastLines('sensor1/ota', texts('sensor1/ota').join('\n'))}\n${lastLines('mosquitto', broker.log())}`;
    await waitUntil("the simulated node's info (it is up)", () => texts('sensor1/info').some((t) => JSON.parse(t).chip === 'SIMULATED'), { timeoutMs: 30_000, context });
    expect(JSON.parse(texts('sensor1/info').at(-1)!).fw).toBe('0.1.0');

    const pushed = await run(tsx, ['host/ota/cli.ts', 'push', `${image}.manifest.json`, '--broker', `mqtt://127.0.0.1:${broker.port}`, '--timeout', '60'], { timeout: 90_000 });
    expect(pushed.stdout).toContain('sensor1/ota: updated to 0.2.0');
    await waitUntil("'updated to 0.2.0' on sensor1/ota", () => texts('sensor1/ota').includes('updated to 0.2.0'), { context });
    const progress = texts('sensor1/ota');
    expect(progress[0]).toMatch(/^downloading \d+%$/);
    expect(progress).toEqual(expect.arrayContaining(['downloading 100%', 'verifying', 'rebooting', 'updated to 0.2.0']));
    const infos = texts('sensor1/info').map((t) => JSON.parse(t));
    expect(infos.at(-1)).toMatchObject({ fw: '0.2.0', resetReason: 'ota' });

    // Replayed: a newer version, but signed with an older counter (captured before the last update).
    const newer = path.join(images, 'altimeter-0.3.0.bin');
    writeFileSync(newer, Buffer.concat([Buffer.from(firmwareHeader('0.3.0')), Buffer.alloc(1000, 0x5a)]));
    await run(tsx, ['host/ota/cli.ts', 'sign', newer, '--version', '0.3.0', '--board', 'host-simulation', '--url', `http://127.0.0.1:${port}/altimeter-0.3.0.bin`, '--key', path.join(work, 'ota-private.pem'), '--device', 'sensor1', '--counter', '99']);
    const replayed = await run(tsx, ['host/ota/cli.ts', 'push', `${newer}.manifest.json`, '--broker', `mqtt://127.0.0.1:${broker.port}`, '--timeout', '60']).catch((e: { stdout: string; code: number }) => e);
    expect((replayed as { code: number }).code).toBe(1);
    expect((replayed as { stdout: string }).stdout).toMatch(/sensor1\/reply: .*"ok":false.*the manifest's counter 99 is below 100, the last update this device accepted/);
  }, 180_000);

  it('refuses a manifest signed with another key, with the reason on the reply topic', async () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'altimeter-ota-e2e-'));
    await run(tsx, ['host/ota/cli.ts', 'keygen', '--out', path.join(work, 'device-key')]);
    await run(tsx, ['host/ota/cli.ts', 'keygen', '--out', path.join(work, 'attacker-key')]);
    const image = path.join(work, 'evil.bin');
    writeFileSync(image, firmwareHeader('9.9.9'));
    await run(tsx, ['host/ota/cli.ts', 'sign', image, '--version', '9.9.9', '--board', 'host-simulation', '--url', 'http://127.0.0.1:9/evil.bin', '--key', path.join(work, 'attacker-key', 'ota-private.pem'), '--fleet']);
    const publicKey = readFileSync(path.join(work, 'device-key', 'ota-public.hex'), 'utf8').trim();
    const watcher = testClient(broker.port);
    const up = watcher.next('connect');
    watcher.client.connect();
    await up;
    watcher.client.subscribe('victim/info', 1);
    await watcher.next('subscribed');
    const node = spawn(tsx, ['host/simulate.ts', '--broker', `mqtt://127.0.0.1:${broker.port}`, '--id', 'victim', '--ota-key', publicKey, '--speed', '10', '--json'], { stdio: 'ignore' });
    children.push(node);
    await watcher.received(1); // the node is connected and subscribed to its commands
    watcher.client.end();
    const pushed = await run(tsx, ['host/ota/cli.ts', 'push', `${image}.manifest.json`, '--broker', `mqtt://127.0.0.1:${broker.port}`, '--id', 'victim', '--timeout', '30']).catch((e: { stdout: string; code: number }) => e);
    expect((pushed as { code: number }).code).toBe(1);
    expect((pushed as { stdout: string }).stdout).toMatch(/victim\/reply: .*"ok":false.*signature does not verify/);

    // Signed with the right key, but for another device, or expired: each refused with its reason.
    const key = readFileSync(path.join(work, 'device-key', 'ota-private.pem'), 'utf8');
    const fields = { version: '9.9.9', board: 'host-simulation', url: 'http://127.0.0.1:9/x.bin', counter: 5 };
    const refusals: [string, object, RegExp][] = [
      ['other-device', { ...fields, device: 'sensor2', expires: '2099-01-01T00:00:00Z' }, /the manifest is for device \\"sensor2\\"; this is \\"victim\\"/],
      ['expired', { ...fields, device: 'victim', expires: '2024-06-01T00:00:00Z' }, /the manifest expired at 2024-06-01T00:00:00Z; the device time is /],
    ];
    for (const [name, release, reason] of refusals) {
      const file = path.join(work, `${name}.manifest.json`);
      writeFileSync(file, JSON.stringify(manifestFor(new TextEncoder().encode(firmwareHeader('9.9.9')), release as ReleaseFields, key)));
      const result = await run(tsx, ['host/ota/cli.ts', 'push', file, '--broker', `mqtt://127.0.0.1:${broker.port}`, '--id', 'victim', '--timeout', '30']).catch((e: { stdout: string; code: number }) => e);
      expect((result as { code: number }).code).toBe(1);
      expect((result as { stdout: string }).stdout).toMatch(reason);
    }
  }, 180_000);

  it('pushes as the crew through a broker that enforces the access policy, and only as the crew', async () => {
    const secured = await startGeneratedMosquitto();
    try {
      const work = mkdtempSync(path.join(os.tmpdir(), 'altimeter-ota-e2e-'));
      await run(tsx, ['host/ota/cli.ts', 'keygen', '--out', work]);
      const publicKey = readFileSync(path.join(work, 'ota-public.hex'), 'utf8').trim();
      const parties = path.join(secured.dir, 'parties.json');
      const node = spawn(tsx, ['host/simulate.ts', '--broker', `mqtt://127.0.0.1:${secured.port}`, '--credentials', parties, '--ota-key', publicKey, '--speed', '10', '--json'], { stdio: 'ignore' });
      children.push(node);
      const watcher = await login(secured, 'maritime-patrol');
      watcher.client.subscribe('sensor1/info', 1);
      await watcher.received(1); // the node is logged in and subscribed to its commands
      watcher.client.end();
      const file = path.join(work, 'expired.manifest.json');
      const key = readFileSync(path.join(work, 'ota-private.pem'), 'utf8');
      const release: ReleaseFields = { version: '9.9.9', board: 'host-simulation', url: 'http://127.0.0.1:9/x.bin', device: 'sensor1', expires: '2024-06-01T00:00:00Z', counter: 5 };
      writeFileSync(file, JSON.stringify(manifestFor(new TextEncoder().encode(firmwareHeader('9.9.9')), release, key)));
      const push = (...extra: string[]) =>
        run(tsx, ['host/ota/cli.ts', 'push', file, '--broker', `mqtt://127.0.0.1:${secured.port}`, '--timeout', '20', ...extra]).catch((e: { stdout: string; stderr: string; code: number }) => e);
      // The crew's page is open (its seat, crew-2, as the browser logs in: a persistent session); the
      // terminal ground station of the node's npm start holds crew.
      const page = await login(secured, 'crew-2', { cleanSession: false });
      let pageDropped = 0;
      page.client.on('disconnect', () => pageDropped++);
      // As the crew on its seat for pushes, crew-3: the node answers, and neither the page nor the
      // ground station is logged off (Mosquitto would say "Client crew-2 already connected, closing old connection").
      const asCrew = (await push('--credentials', parties)) as { code: number; stdout: string };
      expect(asCrew.code).toBe(1);
      expect(asCrew.stdout).toMatch(/sensor1\/reply: .*"ok":false.*the manifest expired at 2024-06-01T00:00:00Z/);
      expect(secured.log()).toMatch(/New client connected from .* as crew-3 \(p2, c1, k\d+, u'crew-3'\)/);
      expect(secured.log()).toMatch(/New client connected from .* as crew \(p2, c0, k\d+, u'crew'\)/); // the ground station was there (persistent session)
      expect(secured.log()).not.toMatch(/Client crew(-2)? already connected, closing old connection/);
      expect(pageDropped).toBe(0);
      expect(page.client.connected).toBe(true);
      page.client.end();
      // A configuration without that seat (written with --seats 2): push says what to do and connects nowhere.
      const twoSeats = path.join(work, 'two-seats.json');
      const all = readParties(parties);
      writeFileSync(twoSeats, partiesJson({ ...all, accounts: all.accounts.filter((a) => !a.username.endsWith('-3')) }), { mode: 0o600 });
      const connections = (secured.log().match(/New client connected/g) ?? []).length;
      const noSeat = (await push('--credentials', twoSeats)) as { code: number; stderr: string };
      expect(noSeat.code).toBe(2);
      expect(noSeat.stderr).toContain(`${twoSeats} has no crew-3, the crew's seat for pushing updates (crew is the ground station's, crew-2 the page's): write the configuration with --seats 3 or more, or name a crew seat no one is using with --as`);
      expect((secured.log().match(/New client connected/g) ?? []).length).toBe(connections);
      // As another party: push does not even try (the broker would drop the command; access-policy.test.ts shows it).
      const asAtc = (await push('--credentials', parties, '--as', 'air-traffic-control')) as { code: number; stderr: string };
      expect(asAtc.code).toBe(2);
      expect(asAtc.stderr).toContain('has no crew account "air-traffic-control" (the crew\'s are crew, crew-2, crew-3): only the crew may command');
      // Without credentials: refused at the door.
      const anonymous = (await push()) as { code: number; stderr: string };
      expect(anonymous.code).toBe(1);
      expect(anonymous.stderr).toMatch(/not authorized/);
    } finally {
      await secured.close();
    }
  }, 180_000);
});
