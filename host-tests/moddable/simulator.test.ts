// The real firmware, built by the real Moddable toolchain and run in the desktop simulator (mcsim,
// headless under xvfb-run). The simulator firmware is this test
// run's shared build (./shared-firmware.ts); each run gets its broker, TLS, CA and device id at launch
// (host/moddable/simulator.ts).
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModdableSdk } from '../../host/moddable/sdk';
import { startSimulator, type LaunchSettings, type SimulatorProcess } from '../../host/moddable/simulator';
import { lastLines, waitUntil } from '../support/deadline';
import { startMosquitto, type Mosquitto } from '../support/mosquitto';
import { decode, testClient } from '../support/test-client';
import { clientCertificate, makeTestCertificates } from '../support/tls-certs';
import { login, passwordOf, startGeneratedMosquitto } from '../support/secured-brokers';
import { moddableSdkForTests } from './moddable-sdk';
import { sharedSimulatorFirmware } from './shared-firmware';

const sdk: ModdableSdk | undefined = await moddableSdkForTests();
let mcSo: string;

// The run's one firmware build, shared with the other simulator suites: most of a minute on a 2-core
// machine; the limit only stops a hang on a machine shared with other heavy jobs.
beforeAll(async () => {
  if (sdk) mcSo = await sharedSimulatorFirmware(sdk);
}, 900_000);

/** A simulator run watched by a ground client: waits that fail with the traces and the broker log. */
async function flight(broker: Mosquitto, launch: LaunchSettings & { deviceId: string }) {
  const ground = testClient(broker.port);
  ground.client.connect();
  await ground.next('connect');
  ground.client.subscribe(`${launch.deviceId}/#`, 1);
  await ground.next('subscribed');
  const simulator: SimulatorProcess = startSimulator(sdk!, mcSo, { headless: true, launch });
  const context = () => `${simulator.report()}\n${lastLines('mosquitto', broker.log())}`;
  return {
    ground,
    simulator,
    payloads: (topic: string) => ground.messages.filter((m) => m.topic === `${launch.deviceId}/${topic}`).map((m) => decode(m.payload)),
    trace: (pattern: RegExp, what: string) => simulator.waitForTrace(pattern, { what, context }),
    until: (what: string, condition: () => boolean) => waitUntil(what, condition, { context }),
    async end() {
      await simulator.stop();
      ground.client.end();
    },
  };
}

describe.skipIf(!sdk)('firmware on the Moddable desktop simulator', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker?.close();
  });

  it('flies the simulated balloon in the simulator: status, info, altitude, telemetry, commands, and a will when killed', async () => {
    const run = await flight(broker, { brokerPort: broker.port, deviceId: 'simnode' });
    const { ground, simulator, payloads } = run;
    try {
      expect(await run.trace(/starting/, 'the start banner')).toBe('altimeter simnode 0.1.0 starting on sim');
      await run.trace(/^connected to 127\.0\.0\.1/, 'the connection to Mosquitto');
      await run.until('4 telemetry messages at the ground client', () => payloads('telemetry').length >= 4);
      ground.client.publish('simnode/cmd/ping', '{"id":"from-test"}', 1);
      ground.client.publish('simnode/cmd/config', '{"id":"bad","sampleIntervalMs":5}', 1); // an error built and answered on the device runtime
      await run.until('replies to ping and config', () => payloads('reply').length >= 2);
    } finally {
      await simulator.stop();
    }
    expect(payloads('status')[0]).toBe('online');
    expect(JSON.parse(payloads('info').at(-1)!)).toMatchObject({ board: 'sim', chip: 'SIMULATED', fw: '0.1.0' });
    const telemetry = payloads('telemetry').map((p) => JSON.parse(p));
    expect(Object.keys(telemetry[0])).toEqual(['boot', 'seq', 'ts', 'alt', 'vs', 'p', 't', 'q']);
    expect(telemetry.map((t) => t.seq).slice(0, 4)).toEqual([1, 2, 3, 4]);
    expect(telemetry.every((t) => Math.abs(t.alt) < 5)).toBe(true); // on the ground, inflating
    expect(payloads('altitude').every((a) => /^-?\d+(\.\d)?$/.test(a))).toBe(true);
    expect(JSON.parse(payloads('reply')[0])).toMatchObject({ cmd: 'ping', id: 'from-test', ok: true });
    expect(JSON.parse(payloads('reply')[1])).toMatchObject({ cmd: 'config', id: 'bad', ok: false, error: 'invalid config: sampleIntervalMs must be between 100 and 3600000, not 5' });
    expect(simulator.traces.some((line) => /^reading (ok|degraded) alt=/.test(line))).toBe(true);
    // The simulator was killed without DISCONNECT: the broker publishes the node's Last Will.
    await run.until("the Last Will 'offline' after the kill", () => payloads('status').length >= 2);
    expect(payloads('status')[1]).toBe('offline');
    await run.end();
  });

  it('fails a wait with what was awaited, the last traces and the broker log', async () => {
    const run = await flight(broker, { brokerPort: broker.port, deviceId: 'simwait' });
    try {
      await run.trace(/^connected to/, 'the connection to Mosquitto');
      const error = await run.simulator
        .waitForTrace(/never traced/, { what: 'a line the firmware never traces', timeoutMs: 500, context: () => lastLines('mosquitto', broker.log()) })
        .catch((e: Error) => e);
      expect(String(error)).toMatch(/no trace within 0\.5 s waiting for a line the firmware never traces/);
      expect(String(error)).toMatch(/mcsim still running; its last \d+ of \d+ traces \(\d+ "reading ok" lines left out\):\n {2}\| /);
      expect(String(error)).toContain('altimeter simwait 0.1.0 starting on sim');
      expect(String(error)).toMatch(/mosquitto \(last \d+ lines\):\n {2}\| /);
      expect(String(error)).toMatch(/Received PUBLISH from simwait/);
      // mcsim gone: the wait ends at once, saying so, instead of running into its deadline.
      const waiting = run.simulator.waitForTrace(/never traced/, { what: 'a trace after the end', timeoutMs: 60_000 }).catch((e: Error) => e);
      await run.simulator.stop();
      expect(String(await waiting)).toMatch(/^Error: mcsim exited \(SIGTERM\) waiting for a trace after the end\nmcsim exited \(SIGTERM\); its last \d+ of \d+ traces \(\d+ "reading ok" lines left out\):/);
    } finally {
      await run.end();
    }
  });
});

describe.skipIf(!sdk)('firmware on the Moddable desktop simulator, over TLS', () => {
  const certificates = makeTestCertificates();
  let broker: Mosquitto;

  beforeAll(async () => {
    // The broker sends its chain (leaf, then CA): the SDK's TLS verifies the path from it.
    broker = await startMosquitto({ tls: { certFile: certificates.chainFile, keyFile: certificates.keyFile } });
  });
  afterAll(async () => {
    await broker?.close();
  });

  it('refuses a broker whose certificate another CA signed, and says why', async () => {
    const run = await flight(broker, { brokerPort: broker.tlsPort!, deviceId: 'simstranger', brokerTls: true, brokerCa: makeTestCertificates().caDerBase64 });
    try {
      const line = await run.trace(/^disconnected: /, 'the refused TLS connection');
      expect(line).toMatch(/TLS with 127\.0\.0\.1:\d+ failed: certificate: auth err \(is the broker's certificate, for this host name, signed by the configured CA\?\)/);
      expect(run.simulator.traces.some((l) => l.startsWith('connected to'))).toBe(false);
    } finally {
      await run.end();
    }
  });

  it('connects with TLS, verifying the broker against the CA in its settings, and publishes', async () => {
    const run = await flight(broker, { brokerPort: broker.tlsPort!, deviceId: 'simtls', brokerTls: true, brokerCa: certificates.caDerBase64 });
    try {
      await run.trace(/^connected to 127\.0\.0\.1/, 'the TLS connection to Mosquitto');
      await run.until('2 telemetry messages over TLS', () => run.payloads('telemetry').length >= 2);
      expect(run.payloads('status')[0]).toBe('online');
      expect(JSON.parse(run.payloads('telemetry')[0])).toMatchObject({ seq: 1 });
    } finally {
      await run.end();
    }
  });
});

describe.skipIf(!sdk)('firmware on the simulator, logging in to the generated Mosquitto over mutual TLS', () => {
  const certificates = makeTestCertificates();
  const deviceCertificate = clientCertificate(certificates, 'sensor1');
  let broker: Awaited<ReturnType<typeof startGeneratedMosquitto>>;
  beforeAll(async () => {
    broker = await startGeneratedMosquitto({ certFile: certificates.chainFile, keyFile: certificates.keyFile, clientCaFile: certificates.caFile });
  });
  afterAll(async () => {
    await broker?.close();
  });
  const tlsLaunch = (extra: LaunchSettings = {}): LaunchSettings => ({
    brokerPort: broker.tlsPort!,
    deviceId: 'sensor1',
    brokerTls: true,
    brokerCa: certificates.caDerBase64,
    brokerClientCert: deviceCertificate.certDerBase64,
    brokerClientKey: deviceCertificate.keyDerBase64,
    ...extra,
  });
  /** mcsim in a run directory whose preferences (NVS in the simulator) hold `nvs`. */
  const start = (launch: LaunchSettings, nvs: Record<string, Record<string, string>> = {}) => {
    const runDir = mkdtempSync(path.join(os.tmpdir(), 'altimeter-mcsim-nvs-'));
    writeFileSync(path.join(runDir, 'modpreferences.json'), JSON.stringify(nvs));
    return startSimulator(sdk!, mcSo, { headless: true, launch, runDir });
  };

  it('logs in with the password from NVS and a client certificate, answers the crew, and traces no secret', async () => {
    const password = passwordOf(broker, 'sensor1');
    const crew = await login(broker, 'crew');
    crew.client.subscribe('sensor1/#', 1);
    await crew.next('subscribed');
    const simulator = start(tlsLaunch(), { broker: { password } });
    const context = () => `${simulator.report()}\n${lastLines('mosquitto', broker.log())}`;
    const payloads = (topic: string) => crew.messages.filter((m) => m.topic === `sensor1/${topic}`).map((m) => decode(m.payload));
    try {
      await simulator.waitForTrace(/^connected to 127\.0\.0\.1/, { what: 'the mutual-TLS login', context });
      await waitUntil('2 telemetry messages at the crew', () => payloads('telemetry').length >= 2, { context });
      crew.client.publish('sensor1/cmd/ping', '{"id":"crew"}', 1);
      await waitUntil('the reply to the crew', () => payloads('reply').length >= 1, { context });
    } finally {
      await simulator.stop();
      crew.client.end();
    }
    expect(JSON.parse(payloads('reply')[0])).toMatchObject({ cmd: 'ping', id: 'crew', ok: true });
    expect(broker.log()).toMatch(/New client connected from 127\.0\.0\.1:\d+ as sensor1 \(p2, c0, k30, u'sensor1'\)/);
    for (const line of simulator.traces) expect(line).not.toContain(password);
  });

  it('is refused with a wrong password from its settings, and says so', async () => {
    const simulator = start(tlsLaunch({ brokerUsername: 'sensor1', brokerPassword: 'not-the-password' }));
    try {
      const line = await simulator.waitForTrace(/refused the connection/, { what: 'the refused login', context: () => simulator.report() });
      expect(line).toMatch(/not authorized \(a wrong user name or password/);
      expect(simulator.traces.some((l) => l.startsWith('connected to'))).toBe(false);
    } finally {
      await simulator.stop();
    }
  });

  it('cannot even reach the login without a client certificate', async () => {
    const simulator = start(tlsLaunch({ brokerClientCert: '', brokerClientKey: '', brokerPassword: passwordOf(broker, 'sensor1') }));
    try {
      // On a loaded machine an attempt may first run out of time in the handshake: wait for the refusal.
      const context = () => `${simulator.report()}\n${lastLines('mosquitto', broker.log())}`;
      const line = await simulator.waitForTrace(/^disconnected: .*(TLS|TCP connection)/, { what: 'the TLS refusal', context, timeoutMs: 120_000 });
      expect(line).toMatch(/failed|closed/);
      expect(simulator.traces.some((l) => l.startsWith('connected to'))).toBe(false);
    } finally {
      await simulator.stop();
    }
  }, 150_000); // outlives the wait above, so a slow handshake fails with its own words
});
