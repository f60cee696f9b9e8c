// `npm start` as a user runs it: against a real Mosquitto (--broker) watched by mosquitto_sub, a
// recorded flight replayed (--flight), and its options and errors.
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastLines, waitUntil } from '../support/deadline';
import { startMosquitto, type Mosquitto } from '../support/mosquitto';
import { describeEnding, runEach, timeoutFor } from '../support/refusals';
import { startGeneratedMosquitto } from '../support/secured-brokers';

const run = promisify(execFile);
const simulate = ['node_modules/.bin/tsx', 'host/simulate.ts'];
/** Outlives runEach's deadlines for the longest list of bad options below (8). */
const CASES_TIMEOUT = timeoutFor(8);
let broker: Mosquitto;

beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker.close();
});

describe('npm start (host/simulate.ts)', () => {
  it('publishes the right topics and payloads, as mosquitto_sub sees them', async () => {
    const sub = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(broker.port), '-t', 'sensor1/#', '-v']);
    let seen = '';
    sub.stdout.on('data', (d: Buffer) => (seen += d.toString()));
    const context = () => `${lastLines('mosquitto_sub', seen)}\n${lastLines('mosquitto', broker.log())}`;
    await waitUntil('mosquitto_sub to subscribe to sensor1/#', () => /: \tsensor1\/# \(QoS 0\)/.test(broker.log()), { context });
    const { stdout } = await run(simulate[0], [simulate[1], '--broker', `mqtt://127.0.0.1:${broker.port}`, '--speed', '60', '--duration', '5', '--web-port', '0'], { timeout: 60_000 });
    expect(stdout).toMatch(/^ground station: http:\/\/127\.0\.0\.1:\d+\/$/m);
    await waitUntil("the node's 'offline' at mosquitto_sub", () => seen.includes('sensor1/status offline'), { context });
    sub.kill();
    const lines = seen.trim().split('\n').map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]);
    const payloads = (topic: string) => lines.filter(([t]) => t === topic).map(([, p]) => p);
    expect(payloads('sensor1/status')).toEqual(['online', 'offline']);
    expect(JSON.parse(payloads('sensor1/info')[0])).toMatchObject({ board: 'host-simulation', resetReason: 'power-on' });
    expect(payloads('sensor1/altitude').length).toBeGreaterThan(100);
    expect(payloads('sensor1/altitude').every((p) => /^-?\d+(\.\d)?$/.test(p))).toBe(true);
    const telemetry = payloads('sensor1/telemetry').map((p) => JSON.parse(p));
    expect(telemetry.length).toBeGreaterThan(100);
    expect(Object.keys(telemetry[0])).toEqual(['boot', 'seq', 'ts', 'alt', 'vs', 'p', 't', 'q']);
    expect(telemetry.map((t) => t.seq)).toEqual(telemetry.map((_, i) => i + 1));
    expect(JSON.parse(payloads('sensor1/reply')[0])).toMatchObject({ cmd: 'ping', id: 'preflight', ok: true });
  });

  it('prints one JSON line per message received with --json, and uses --id for every topic', async () => {
    const { stdout } = await run(simulate[0], [simulate[1], '--broker', `mqtt://127.0.0.1:${broker.port}`, '--id', 'balloon7', '--speed', '60', '--duration', '3', '--json'], { timeout: 60_000 });
    const messages = stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(messages.length).toBeGreaterThan(50);
    expect(messages.every((m) => m.topic.startsWith('balloon7/'))).toBe(true);
    expect(new Set(messages.map((m) => m.subscriber))).toEqual(new Set(['crew', 'air traffic control', 'maritime patrol', 'news station']));
    // This broker enforces nothing: the news station's try at the altitude succeeds, and that is all it gets.
    expect(new Set(messages.filter((m) => m.subscriber === 'news station').map((m) => m.topic))).toEqual(new Set(['balloon7/altitude']));
  });

  it('shows the news station refused by the embedded broker, which logs everyone in with accounts made for the run', async () => {
    const { stdout } = await run(simulate[0], [simulate[1], '--speed', '60', '--duration', '4'], { timeout: 60_000 });
    expect(stdout).toContain('broker up (embedded, logins and the access policy enforced)');
    expect(stdout).toContain('news station tried sensor1/altitude: refused by the broker (it may read emergencies only)');
    expect(stdout).toMatch(/reply to the crew: \{"cmd":"ping","id":"preflight","ok":true/); // the crew commands, logged in
    expect(stdout).not.toMatch(/PRIVACY BREACH|refused a login/);
  });

  it('replays a recorded flight (--flight) through the simulated chip to a real broker: --speed, --duration, --json', async () => {
    // The envelope fails over a hill 350 m above the launch site, about 830 s in; up to 4,000 s of
    // flight at 200× (far less on a loaded machine, where the node keeps up with fewer samples per
    // second: what matters is that it gets past the impact, so the margin is wide).
    const { stdout } = await run(simulate[0], [simulate[1], '--flight', 'flights/envelope-failure-over-hills.csv', '--broker', `mqtt://127.0.0.1:${broker.port}`, '--id', 'replay1', '--speed', '200', '--duration', '20', '--json'], { timeout: 90_000, maxBuffer: 64 * 1024 * 1024 });
    const messages = stdout.trim().split('\n').map((l) => JSON.parse(l) as { subscriber: string; topic: string; payload: unknown });
    const telemetry = messages.filter((m) => m.subscriber === 'crew' && m.topic === 'replay1/telemetry').map((m) => m.payload as { seq: number; alt: number; vs: number; q: string });
    expect(telemetry.at(-1)!.seq).toBeGreaterThan(900);
    // in order without gaps, from about the start (the subscribers connect while the node starts)
    expect(telemetry[0].seq).toBeLessThan(20);
    expect(telemetry.map((t) => t.seq)).toEqual(telemetry.map((_, i) => telemetry[0].seq + i));
    const rows = readFileSync('flights/envelope-failure-over-hills.csv', 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
    const top = Math.max(...rows.map((r) => r[1]));
    expect(Math.max(...telemetry.map((t) => t.alt))).toBeCloseTo(top, -1); // the recorded height, within metres
    expect(telemetry.at(-1)!.alt).toBeCloseTo(rows.at(-1)![1], -1); // the file ended: the last altitude holds
    expect(Math.min(...telemetry.map((t) => t.vs))).toBeLessThan(-15); // the fall
    const news = messages.filter((m) => m.subscriber === 'news station').map((m) => m.payload as { kind: string; active: boolean });
    // (an emergency still active is published again when another clears: one retained message per topic)
    expect([...new Set(news.filter((e) => e.active).map((e) => e.kind))]).toEqual(['rapid-descent', 'crash']);
  }, 120_000);

  it.each([
    ['an empty file', '', 'line 1, column 1: the file is empty'],
    ['a missing header', '0,0\n10,30\n', 'line 1, column 1: the header row is missing'],
    ['a value that is not a number', 't_s,altitude_m\n0,0\n10,thirty\n', 'line 3, column 2: altitude_m "thirty" is not a number'],
    ['time going backwards', 't_s,altitude_m\n0,0\n10,30\n5,40\n', 'line 4, column 1: t_s 5 does not come after 10'],
  ])('refuses a flight file with %s: the line and column, and status 2', async (_what, content, message) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'flight-file-'));
    const file = path.join(dir, 'flight.csv');
    writeFileSync(file, content);
    const [ending] = await runEach(simulate[0], [simulate[1]], [['--flight', file]]);
    rmSync(dir, { recursive: true, force: true });
    expect(ending.code, describeEnding(ending)).toBe(2);
    expect(ending.stderr, describeEnding(ending)).toContain(`--flight: ${file}, ${message}`);
  }, timeoutFor(1));

  it('explains bad flight options and exits with status 2', async () => {
    const cases = [
      [['--seed', '1.5'], '--seed must be a whole number'],
      [['--flight', 'flights/morning-flight.csv', '--scenario', 'crash'], 'give --scenario or --flight, not both'],
      [['--flight', 'no-such-flight.csv'], '--flight: cannot read no-such-flight.csv'],
    ] as const;
    const endings = await runEach(simulate[0], [simulate[1]], cases.map(([args]) => args));
    for (const [i, [, message]] of cases.entries()) {
      expect(endings[i].code, describeEnding(endings[i])).toBe(2);
      expect(endings[i].stderr, describeEnding(endings[i])).toContain(message);
    }
  }, CASES_TIMEOUT);

  it('explains bad options and exits with status 2', async () => {
    const cases = [
      [['--scenario', 'storm'], 'unknown scenario "storm": choose normal, crash, sensor-fault, gentle-failure'],
      [['--speed', '0'], '--speed must be a number'],
      [['--colour', 'red'], "Unknown option '--colour'"],
      [['--broker', 'http://x'], '--broker must look like mqtt://host:port'],
      [['--broker', 'mqtt://127.0.0.1:1', '--scenario', 'outage'], 'the outage scenario needs the embedded broker'],
      [['--username', 'sensor1', '--password', 'x'], '--credentials, --username and --password go with --broker'],
      [['--broker', 'mqtt://127.0.0.1:1', '--username', 'sensor1'], '--username and --password go together'],
      [['--broker', 'mqtt://127.0.0.1:1', '--credentials', '/nonexistent/parties.json'], '--credentials: cannot read /nonexistent/parties.json: no such file'],
      [['--web-port', '70000'], '--web-port must be a port number from 0 to 65535, not "70000"'],
      [['--ws-url', 'ws://127.0.0.1:9001/mqtt'], '--ws-url goes with --broker'],
      [['--broker', 'mqtt://127.0.0.1:1', '--ws-url', 'http://x'], '--ws-url must look like ws://host:port/path'],
    ] as const;
    const endings = await runEach(simulate[0], [simulate[1]], cases.map(([args]) => args));
    for (const [i, [, message]] of cases.entries()) {
      expect(endings[i].code, describeEnding(endings[i])).toBe(2);
      expect(endings[i].stderr, describeEnding(endings[i])).toContain(message);
    }
  }, CASES_TIMEOUT);

  it('logs the node and every party in to a broker running the generated configuration, and never prints a password', async () => {
    const secured = await startGeneratedMosquitto();
    try {
      const credentials = `${secured.dir}/parties.json`;
      const result = await run(simulate[0], [simulate[1], '--broker', `mqtt://127.0.0.1:${secured.port}`, '--credentials', credentials, '--speed', '60', '--duration', '4'], { timeout: 60_000 });
      const output = result.stdout + result.stderr;
      expect(output).toContain('news station subscribed to sensor1/altitude: the broker grants any subscription and filters each message (Mosquitto does); nothing of it may arrive');
      expect(output).toMatch(/reply to the crew: \{"cmd":"ping","id":"preflight","ok":true/);
      expect(output).not.toMatch(/PRIVACY BREACH|refused the connection/);
      for (const account of secured.parties.accounts) expect(output).not.toContain(account.password);
      // The same with --json: the news station got nothing but emergencies (there were none).
      const json = await run(simulate[0], [simulate[1], '--broker', `mqtt://127.0.0.1:${secured.port}`, '--credentials', credentials, '--speed', '60', '--duration', '3', '--json'], { timeout: 60_000 });
      const messages = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { subscriber: string; topic: string });
      expect(messages.some((m) => m.subscriber === 'crew' && m.topic === 'sensor1/telemetry')).toBe(true);
      expect(messages.filter((m) => m.subscriber === 'news station')).toEqual([]);
      for (const account of secured.parties.accounts) expect(json.stdout + json.stderr).not.toContain(account.password);
    } finally {
      await secured.close();
    }
  }, 120_000);

  it('explains what --device sim cannot do, a bad flight file for it, and a device it does not know, with status 2', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'flight-file-'));
    const bad = path.join(dir, 'bad.csv');
    writeFileSync(bad, 't_s,altitude_m\n0,0\n10,thirty\n');
    const cases = [
      [['--device', 'toaster'], '--device must be node or sim, not "toaster"'],
      [['--scenario', 'manual'], 'the manual scenario is flown from the simulator pane: add --device sim'],
      [['--device', 'sim', '--speed', '5'], '--speed needs --device node: the firmware in the simulator runs in real time'],
      [['--device', 'sim', '--ota-key', `04${'ab'.repeat(64)}`], '--ota-key needs --device node'],
      [['--device', 'sim', '--state', 'somewhere'], '--state needs --device node'],
      // A recorded flight is checked as for --device node, before the firmware is built or mcsim starts.
      [['--device', 'sim', '--flight', bad], `--flight: ${bad}, line 3, column 2: altitude_m "thirty" is not a number`],
      [['--device', 'sim', '--flight', 'no-such-flight.csv'], '--flight: cannot read no-such-flight.csv'],
      [['--device', 'sim', '--flight', 'flights/morning-flight.csv', '--scenario', 'manual'], 'give --scenario or --flight, not both'],
    ] as const;
    // One after the other: the suite above already starts many at once.
    try {
      for (const [args, message] of cases) {
        const error = (await run(simulate[0], [simulate[1], ...args], { timeout: 60_000 }).catch((e: unknown) => e)) as { code: number; stdout: string; stderr: string };
        expect(error.code).toBe(2);
        expect(error.stderr).toContain(message);
        expect(error.stdout).not.toContain('building the firmware'); // refused before anything started
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it('documents its options with --help', async () => {
    const { stdout } = await run(simulate[0], [simulate[1], '--help']);
    for (const option of ['--device', '--broker', '--credentials', '--username', '--password', '--id', '--scenario', '--seed', '--flight', '--speed', '--duration', '--json', '--web-port', '--ws-url', '--help']) expect(stdout).toContain(option);
    for (const name of ['normal', 'crash', 'sensor-fault', 'outage', 'tree-landing', 'dropout-fall']) expect(stdout).toContain(name);
  });
});
