// The firmware builds themselves: the XS stage of the ESP32 build (what can be proved without
// ESP-IDF), and the firmware's TypeScript checked against the SDK's own typings for both platforms.
// Its own file, so it runs beside the simulator suites that mostly wait for mcsim.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildEsp32XsStage, typecheckAgainstSdkTypings } from '../../host/moddable/build';
import type { ModdableSdk } from '../../host/moddable/sdk';
import { moddableSdkForTests } from './moddable-sdk';
import { sharedSimulatorBuildDir, sharedSimulatorFirmware } from './shared-firmware';

const sdk: ModdableSdk | undefined = await moddableSdkForTests();
const outDir = mkdtempSync(path.join(os.tmpdir(), 'altimeter-esp32-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe.skipIf(!sdk)('the ESP32 build without ESP-IDF', () => {
  it('resolves the esp32 manifest and compiles and links every module for XS', async () => {
    const stage = await buildEsp32XsStage(sdk!, path.join(outDir, 'esp32'));
    expect(stage.modules).toContain('main');
    expect(stage.modules).toContain('board/launch');
    expect(stage.xsImageBytes).toBeGreaterThan(0);
  }, 300_000); // a few seconds on an idle machine
});

// The builds only transpile (host/moddable/transpile.js); this is the check mcconfig's per-module tsc
// made, against the SDK's own typings and each platform's module map, in one tsc run per platform.
describe.skipIf(!sdk)("the firmware's TypeScript against the SDK's own typings", () => {
  it.each(['lin', 'esp32'] as const)('type-checks every module of the %s build', async (platform) => {
    if (platform === 'esp32' && !existsSync(path.join(outDir, 'esp32'))) await buildEsp32XsStage(sdk!, path.join(outDir, 'esp32'));
    if (platform === 'lin') await sharedSimulatorFirmware(sdk!); // the run's simulator build, which another suite may be making
    expect(await typecheckAgainstSdkTypings(platform === 'lin' ? sharedSimulatorBuildDir() : path.join(outDir, 'esp32'), platform)).toBeGreaterThan(40);
  }, 900_000); // may wait for the run's simulator build
});
