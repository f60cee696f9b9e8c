// The real firmware, built by the real Moddable toolchain and run in the desktop simulator (mcsim,
// headless under xvfb-run), and the XS stage of the ESP32 build.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEsp32XsStage, buildForSimulator, startSimulator, type ModdableSdk } from '../../host/moddable/sdk';
import { startMosquitto, type Mosquitto } from '../support/mosquitto';
import { decode, testClient } from '../support/test-client';
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

  it('boots, connects to the broker with its own MQTT client, announces itself, and leaves a will when killed', async () => {
    const ground = testClient(broker.port);
    ground.client.connect();
    await ground.next('connect');
    ground.client.subscribe('simnode/#', 1);
    await ground.next('subscribed');
    const simulator = startSimulator(sdk!, mcSo, { headless: true });
    try {
      expect(await simulator.waitForTrace(/starting/)).toBe('altimeter simnode starting on sim');
      expect(await simulator.waitForTrace(/mqtt connected/)).toBe(`mqtt connected to 127.0.0.1:${broker.port}`);
      const [online] = await ground.received(1);
      expect({ topic: online.topic, text: decode(online.payload) }).toEqual({ topic: 'simnode/status', text: 'online' });
    } finally {
      await simulator.stop();
    }
    // The simulator was killed without DISCONNECT: the broker publishes the node's Last Will.
    const messages = await ground.received(2);
    expect(decode(messages[1].payload)).toBe('offline');
    ground.client.end();
  });
});

describe.skipIf(!sdk)('the ESP32 build without ESP-IDF', () => {
  it('resolves the esp32 manifest and compiles and links every module for XS', async () => {
    const stage = await buildEsp32XsStage(sdk!, path.join(outDir, 'esp32'));
    expect(stage.modules).toContain('main');
    expect(stage.xsImageBytes).toBeGreaterThan(0);
  });
});
