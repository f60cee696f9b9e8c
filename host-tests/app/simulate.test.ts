// `npm start` as a user runs it: against a real Mosquitto (--broker) watched by mosquitto_sub, and
// its options and errors.
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type Mosquitto } from '../support/mosquitto';

const run = promisify(execFile);
const simulate = ['node_modules/.bin/tsx', 'host/simulate.ts'];
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
    await new Promise((r) => setTimeout(r, 300));
    await run(simulate[0], [simulate[1], '--broker', `mqtt://127.0.0.1:${broker.port}`, '--speed', '60', '--duration', '5'], { timeout: 60_000 });
    await new Promise((r) => setTimeout(r, 300));
    sub.kill();
    const lines = seen.trim().split('\n').map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]);
    const payloads = (topic: string) => lines.filter(([t]) => t === topic).map(([, p]) => p);
    expect(payloads('sensor1/status')).toEqual(['online', 'offline']);
    expect(JSON.parse(payloads('sensor1/info')[0])).toMatchObject({ board: 'host-simulation', resetReason: 'power-on' });
    expect(payloads('sensor1/altitude').length).toBeGreaterThan(100);
    expect(payloads('sensor1/altitude').every((p) => /^-?\d+(\.\d)?$/.test(p))).toBe(true);
    const telemetry = payloads('sensor1/telemetry').map((p) => JSON.parse(p));
    expect(telemetry.length).toBeGreaterThan(100);
    expect(Object.keys(telemetry[0])).toEqual(['seq', 'ts', 'alt', 'vs', 'p', 't', 'q']);
    expect(telemetry.map((t) => t.seq)).toEqual(telemetry.map((_, i) => i + 1));
    expect(JSON.parse(payloads('sensor1/reply')[0])).toMatchObject({ cmd: 'ping', id: 'preflight', ok: true });
  });

  it('prints one JSON line per message received with --json, and uses --id for every topic', async () => {
    const { stdout } = await run(simulate[0], [simulate[1], '--broker', `mqtt://127.0.0.1:${broker.port}`, '--id', 'balloon7', '--speed', '60', '--duration', '3', '--json'], { timeout: 60_000 });
    const messages = stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(messages.length).toBeGreaterThan(50);
    expect(messages.every((m) => m.topic.startsWith('balloon7/'))).toBe(true);
    expect(new Set(messages.map((m) => m.subscriber))).toEqual(new Set(['crew', 'air traffic control', 'maritime patrol']));
  });

  it('explains bad options and exits with status 2', async () => {
    for (const [args, message] of [
      [['--scenario', 'storm'], 'unknown scenario "storm": choose normal, crash, sensor-fault or outage'],
      [['--speed', '0'], '--speed must be a number'],
      [['--colour', 'red'], "Unknown option '--colour'"],
      [['--broker', 'http://x'], '--broker must look like mqtt://host:port'],
      [['--broker', 'mqtt://127.0.0.1:1', '--scenario', 'outage'], 'the outage scenario needs the embedded broker'],
      [['--device', 'toaster'], '--device must be node or sim, not "toaster"'],
      [['--scenario', 'manual'], 'the manual scenario is flown from the simulator pane: add --device sim'],
      [['--device', 'sim', '--speed', '5'], '--speed needs --device node: the firmware in the simulator runs in real time'],
      [['--device', 'sim', '--ota-key', `04${'ab'.repeat(64)}`], '--ota-key needs --device node'],
      [['--device', 'sim', '--state', 'somewhere'], '--state needs --device node'],
    ] as const) {
      const error = await run(simulate[0], [simulate[1], ...args], { timeout: 30_000 }).catch((e: { code: number; stderr: string }) => e);
      expect((error as { code: number }).code).toBe(2);
      expect((error as { stderr: string }).stderr).toContain(message);
    }
  });

  it('documents its options with --help', async () => {
    const { stdout } = await run(simulate[0], [simulate[1], '--help']);
    for (const option of ['--device', '--broker', '--id', '--scenario', '--speed', '--duration', '--json', '--help']) expect(stdout).toContain(option);
  });
});
