// The real firmware, built by the real Moddable toolchain and run in the desktop simulator (mcsim,
// headless under xvfb-run), and the XS stage of the ESP32 build.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEsp32XsStage, buildForSimulator, startSimulator, type ModdableSdk } from '../../host/moddable/sdk';
import { startMosquitto, type Mosquitto } from '../support/mosquitto';
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

  it('boots the app built from manifest.json with the sim board', async () => {
    const simulator = startSimulator(sdk!, mcSo, { headless: true });
    try {
      const line = await simulator.waitForTrace(/starting/);
      expect(line).toBe('altimeter simnode starting on sim');
    } finally {
      await simulator.stop();
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
