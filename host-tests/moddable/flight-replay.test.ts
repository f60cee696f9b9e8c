// `--device sim --flight FILE.csv`: the real firmware in the desktop simulator replays a recorded
// flight through its normal sampling path (the simulated chip measures the recorded altitude, then
// the altimeter, the filter and the emergency rules), launched by the same code as `npm run sim`
// (launchSimDevice), on Mosquitto running the generated access policy. Also: the run directory,
// whose preferences hold the device's password, is its owner's only; and the pane's burner button
// flies the balloon up by hand afterwards.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchSimDevice, type SimDevice } from '../../host/devices/sim-device';
import { SimulatorPanel } from '../../host/moddable/sim-panel';
import type { ModdableSdk } from '../../host/moddable/sdk';
import { lastLines, waitUntil } from '../support/deadline';
import { login, passwordOf, startGeneratedMosquitto, type SecuredBroker } from '../support/secured-brokers';
import { decode, type TestClient } from '../support/test-client';
import { moddableSdkForTests } from './moddable-sdk';
import { sharedSimulatorFirmware } from './shared-firmware';

const sdk: ModdableSdk | undefined = await moddableSdkForTests();
const outDir = mkdtempSync(path.join(os.tmpdir(), 'altimeter-replay-'));

/**
 * A short flight with a fall, one row a second: on the ground, a climb at 5 m/s to 200 m, a few
 * seconds' hold, then the envelope fails: 2.5 m/s² down until its drag holds the fall at 15 m/s
 * (DESIGN: 10–30 m/s with a failed envelope), and the ground stops it within a second.
 */
function flightWithAFall(): string {
  const rows = ['t_s,altitude_m,temperature_c'];
  let altitude = 0;
  let speed = 0;
  for (let t = 0; t <= 90; t++) {
    if (t > 10 && t <= 50) altitude += 5;
    if (t > 56 && altitude > 0) {
      speed = Math.min(15, speed + 2.5);
      altitude = Math.max(0, altitude - speed);
    }
    rows.push(`${t},${altitude.toFixed(1)},${(14.2 - 0.0065 * altitude).toFixed(2)}`);
  }
  return `${rows.join('\n')}\n`;
}

describe.skipIf(!sdk)('a recorded flight replayed by the firmware in the desktop simulator (--device sim --flight)', () => {
  let broker: SecuredBroker;
  let mcSo: string;
  let device: SimDevice | undefined;
  let news: TestClient;
  let crew: TestClient;
  const csv = flightWithAFall();

  beforeAll(async () => {
    // The one firmware build of this file.
    mcSo = await sharedSimulatorFirmware(sdk!);
    broker = await startGeneratedMosquitto();
    news = await login(broker, 'news-station');
    news.client.subscribe('sensor1/emergency', 1);
    await news.next('subscribed');
    crew = await login(broker, 'crew');
    crew.client.subscribe('sensor1/#', 1);
    await crew.next('subscribed');
  }, 900_000); // waits for the run's firmware build: minutes on a loaded machine
  afterAll(async () => {
    await device?.stop();
    news?.client.end();
    crew?.client.end();
    await broker?.close();
    rmSync(outDir, { recursive: true, force: true });
  });

  it('raises rapid-descent and then crash on sensor1/emergency, as the news station sees it', async () => {
    const events: string[] = [];
    device = launchSimDevice(sdk!, mcSo, {
      broker: { host: '127.0.0.1', port: broker.port, tls: false },
      login: { username: 'sensor1', password: passwordOf(broker, 'sensor1') },
      id: 'sensor1',
      scenario: 'normal', // what the launch would fly without the recording
      recordedFlight: csv,
      seed: 1,
      progress: () => {},
      onReading: () => {},
      onEvent: (line) => events.push(line),
      onExit: (why) => events.push(`EXIT ${why}`),
    });
    const simulator = device.simulator;
    const context = () => `${simulator.report()}\n${lastLines('mosquitto', broker.log())}`;
    const emergencies = () => news.messages.filter((m) => m.topic === 'sensor1/emergency').map((m) => JSON.parse(decode(m.payload)) as { active: boolean; kind: string; alt: number; vs: number });
    await waitUntil('crash on sensor1/emergency at the news station', () => emergencies().some((e) => e.active && e.kind === 'crash'), { timeoutMs: 240_000, context });

    const active = emergencies().filter((e) => e.active);
    const kinds = active.map((e) => e.kind);
    expect(kinds.indexOf('rapid-descent')).toBeGreaterThanOrEqual(0);
    expect(kinds.indexOf('rapid-descent')).toBeLessThan(kinds.indexOf('crash'));
    expect(active.find((e) => e.kind === 'rapid-descent')!.vs).toBeLessThan(-6);
    expect(Math.abs(active.find((e) => e.kind === 'crash')!.alt)).toBeLessThan(5); // stopped on the ground
    // The firmware flew the recording, not the scenario: it reported the recorded 200 m before the fall.
    const altitudes = crew.messages.filter((m) => m.topic === 'sensor1/telemetry').map((m) => (JSON.parse(decode(m.payload)) as { alt: number | null }).alt ?? NaN);
    expect(Math.max(...altitudes.filter((a) => a === a))).toBeGreaterThan(195);
    expect(Math.max(...altitudes.filter((a) => a === a))).toBeLessThan(205);
    expect(simulator.traces.some((line) => line.startsWith('altimeter sensor1 0.1.0 starting on sim'))).toBe(true);
    expect(events.filter((line) => line.startsWith('EXIT'))).toEqual([]);
  }, 300_000);

  it('keeps the run directory, whose preferences hold the password, to its owner (0700, files 0600)', () => {
    const runDir = device!.simulator.runDir;
    const mode = (file: string) => statSync(path.join(runDir, file)).mode & 0o777;
    expect(mode('.')).toBe(0o700);
    // Re-written by the firmware itself by now (its store counts the boot): mcsim's umask keeps it private.
    const preferences = JSON.parse(readFileSync(path.join(runDir, 'modpreferences.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    expect(Object.keys(preferences)).toContain('altimeter');
    expect(preferences.broker.password).toBe(passwordOf(broker, 'sensor1'));
    expect(mode('modpreferences.json')).toBe(0o600);
    expect(mode('flight.csv')).toBe(0o600);
    expect(readFileSync(path.join(runDir, 'flight.csv'), 'utf8')).toBe(csv); // handed over as it is
  });

  it('after the replay, the pane\'s burner (held, then released) flies the balloon up by hand: the firmware publishes the climb', async () => {
    const simulator = device!.simulator;
    const panel = new SimulatorPanel(simulator.localDirectory);
    const telemetry = () => crew.messages.filter((m) => m.topic === 'sensor1/telemetry').map((m) => JSON.parse(decode(m.payload)) as { ts: number; alt: number | null; vs: number | null });
    const from = Date.now();
    panel.send({ flight: { scenario: 'manual' } }); // the pilot takes over where the recording left the balloon: on the ground
    panel.send({ flight: { burner: true } });
    const context = () => simulator.report();
    await waitUntil('a climb above 20 m on the broker', () => telemetry().some((t) => t.ts > from && (t.alt ?? 0) > 20), { timeoutMs: 120_000, context });
    panel.send({ flight: { burner: false } });
    const climb = telemetry().filter((t) => t.ts > from);
    expect(Math.max(...climb.map((t) => t.vs ?? 0))).toBeLessThan(5.5); // at most the burner's 5 m/s, and the filter's noise
    expect(simulator.traces).toContain('panel: {"flight":{"burner":true}}');
    await waitUntil('the burner released', () => simulator.traces.includes('panel: {"flight":{"burner":false}}'), { timeoutMs: 10_000, context });
  }, 180_000);
});
