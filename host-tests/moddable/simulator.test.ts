// The real firmware, built by the real Moddable toolchain and run in the desktop simulator (mcsim,
// headless under xvfb-run), and the XS stage of the ESP32 build.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEsp32XsStage, buildForSimulator, startSimulator, type ModdableSdk } from '../../host/moddable/sdk';
import { startMosquitto, type Mosquitto } from '../support/mosquitto';
import { decode, testClient } from '../support/test-client';
import { makeTestCertificates } from '../support/tls-certs';
import { moddableSdkForTests } from './moddable-sdk';

const sdk: ModdableSdk | undefined = await moddableSdkForTests();
const outDir = mkdtempSync(path.join(os.tmpdir(), 'altimeter-moddable-'));

describe.skipIf(!sdk)('firmware on the Moddable desktop simulator', () => {
  let broker: Mosquitto;
  let mcSo: string;

  beforeAll(async () => {
    broker = await startMosquitto();
    mcSo = await buildForSimulator(sdk!, path.join(outDir, 'sim'), { brokerPort: broker.port, deviceId: 'simnode' });
  });
  afterAll(async () => {
    await broker?.close();
    rmSync(outDir, { recursive: true, force: true });
  });

  it('flies the simulated balloon in the simulator: status, info, altitude, telemetry, commands, and a will when killed', async () => {
    const ground = testClient(broker.port);
    ground.client.connect();
    await ground.next('connect');
    ground.client.subscribe('simnode/#', 1);
    await ground.next('subscribed');
    const simulator = startSimulator(sdk!, mcSo, { headless: true });
    const payloads = (topic: string) => ground.messages.filter((m) => m.topic === topic).map((m) => decode(m.payload));
    try {
      expect(await simulator.waitForTrace(/starting/)).toBe('altimeter simnode 0.1.0 starting on sim');
      await simulator.waitForTrace(/^connected to 127\.0\.0\.1/);
      while (payloads('simnode/telemetry').length < 4) await new Promise((r) => setTimeout(r, 100));
      ground.client.publish('simnode/cmd/ping', '{"id":"from-test"}', 1);
      ground.client.publish('simnode/cmd/config', '{"id":"bad","sampleIntervalMs":5}', 1); // an error built and answered on the device runtime
      while (payloads('simnode/reply').length < 2) await new Promise((r) => setTimeout(r, 100));
    } finally {
      await simulator.stop();
    }
    expect(payloads('simnode/status')[0]).toBe('online');
    expect(JSON.parse(payloads('simnode/info').at(-1)!)).toMatchObject({ board: 'sim', chip: 'SIMULATED', fw: '0.1.0' });
    const telemetry = payloads('simnode/telemetry').map((p) => JSON.parse(p));
    expect(Object.keys(telemetry[0])).toEqual(['seq', 'ts', 'alt', 'vs', 'p', 't', 'q']);
    expect(telemetry.map((t) => t.seq).slice(0, 4)).toEqual([1, 2, 3, 4]);
    expect(telemetry.every((t) => Math.abs(t.alt) < 5)).toBe(true); // on the ground, inflating
    expect(payloads('simnode/altitude').every((a) => /^-?\d+(\.\d)?$/.test(a))).toBe(true);
    expect(JSON.parse(payloads('simnode/reply')[0])).toMatchObject({ cmd: 'ping', id: 'from-test', ok: true });
    expect(JSON.parse(payloads('simnode/reply')[1])).toMatchObject({ cmd: 'config', id: 'bad', ok: false, error: 'invalid config: sampleIntervalMs must be between 100 and 3600000, not 5' });
    expect(simulator.traces.some((line) => /^reading (ok|degraded) alt=/.test(line))).toBe(true);
    // The simulator was killed without DISCONNECT: the broker publishes the node's Last Will.
    while (payloads('simnode/status').length < 2) await new Promise((r) => setTimeout(r, 50));
    expect(payloads('simnode/status')[1]).toBe('offline');
    ground.client.end();
  });
});

describe.skipIf(!sdk)('firmware on the Moddable desktop simulator, over TLS', () => {
  const certificates = makeTestCertificates();
  let broker: Mosquitto;
  let mcSo: string;

  beforeAll(async () => {
    // The broker sends its chain (leaf, then CA): the SDK's TLS verifies the path from it.
    broker = await startMosquitto({ tls: { certFile: certificates.chainFile, keyFile: certificates.keyFile } });
    mcSo = await buildForSimulator(sdk!, path.join(outDir, 'sim-tls'), {
      brokerPort: broker.tlsPort!,
      deviceId: 'simtls',
      brokerTls: 1,
      brokerCa: certificates.caDerBase64,
    });
  });
  afterAll(async () => {
    await broker?.close();
  });

  it('refuses a broker whose certificate another CA signed, and says why', async () => {
    const stranger = await buildForSimulator(sdk!, path.join(outDir, 'sim-tls-stranger'), {
      brokerPort: broker.tlsPort!,
      deviceId: 'simstranger',
      brokerTls: 1,
      brokerCa: makeTestCertificates().caDerBase64,
    });
    const simulator = startSimulator(sdk!, stranger, { headless: true });
    try {
      const line = await simulator.waitForTrace(/^disconnected: /);
      expect(line).toMatch(/TLS with 127\.0\.0\.1:\d+ failed: certificate: auth err \(is the broker's certificate, for this host name, signed by the configured CA\?\)/);
      expect(simulator.traces.some((l) => l.startsWith('connected to'))).toBe(false);
    } finally {
      await simulator.stop();
    }
  }, 180_000); // builds its own app variant first

  it('connects with TLS, verifying the broker against the CA in its config, and publishes', async () => {
    const ground = testClient(broker.port);
    ground.client.connect();
    await ground.next('connect');
    ground.client.subscribe('simtls/#', 1);
    await ground.next('subscribed');
    const simulator = startSimulator(sdk!, mcSo, { headless: true });
    try {
      await simulator.waitForTrace(/^connected to 127\.0\.0\.1/);
      const telemetry = () => ground.messages.filter((m) => m.topic === 'simtls/telemetry');
      while (telemetry().length < 2) await new Promise((r) => setTimeout(r, 100));
      expect(ground.messages.find((m) => m.topic === 'simtls/status') && decode(ground.messages.find((m) => m.topic === 'simtls/status')!.payload)).toBe('online');
      expect(JSON.parse(decode(telemetry()[0].payload))).toMatchObject({ seq: 1 });
    } finally {
      await simulator.stop();
      ground.client.end();
    }
  });
});

describe.skipIf(!sdk)('the ESP32 build without ESP-IDF', () => {
  it('resolves the esp32 manifest and compiles and links every module for XS', async () => {
    const stage = await buildEsp32XsStage(sdk!, path.join(outDir, 'esp32'));
    expect(stage.modules).toContain('main');
    expect(stage.xsImageBytes).toBeGreaterThan(0);
  });
});
