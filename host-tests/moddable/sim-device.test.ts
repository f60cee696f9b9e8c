// `npm start -- --device sim` (npm run sim) as a user runs it without a display: the whole system
// (embedded broker, the four parties) around the real firmware in the desktop simulator, headless.
// It runs the test run's shared firmware build ($ALTIMETER_SIM_FIRMWARE) instead of building its own:
// the build itself is the simulator suite's to test.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PREBUILT_FIRMWARE_ENV } from '../../host/devices/sim-device';
import { moddableSdkForTests } from './moddable-sdk';
import { sharedSimulatorFirmware } from './shared-firmware';

const run = promisify(execFile);
const sdk = await moddableSdkForTests();

describe.skipIf(!sdk)('npm start -- --device sim', () => {
  it('runs the firmware in mcsim with the embedded broker and the ground parties, and stops it', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, MODDABLE: sdk!.dir, [PREBUILT_FIRMWARE_ENV]: await sharedSimulatorFirmware(sdk!) };
    delete env.DISPLAY; // headless: under Xvfb
    const { stdout } = await run('node_modules/.bin/tsx', ['host/simulate.ts', '--device', 'sim', '--id', 'simdev', '--json', '--duration', '25'], {
      env,
      timeout: 1_200_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    const messages = stdout.trim().split('\n').map((line) => JSON.parse(line) as { subscriber: string; topic: string; payload: unknown });
    const crew = (topic: string) => messages.filter((m) => m.subscriber === 'crew' && m.topic === `simdev/${topic}`).map((m) => m.payload);
    // The firmware, not the Node adapters: its info names the simulator board.
    // (info goes out at the connection, and again once the sensor is found)
    expect(crew('info').at(-1)).toMatchObject({ board: 'sim', chip: 'SIMULATED', fw: '0.1.0', resetReason: 'power-on' });
    expect(crew('status')).toContain('online');
    const seqs = crew('telemetry').map((t) => (t as { seq: number }).seq);
    expect(seqs.length).toBeGreaterThan(10);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0] + i));
    expect(crew('reply')[0]).toMatchObject({ cmd: 'ping', id: 'preflight', ok: true });
    expect(new Set(messages.map((m) => m.subscriber))).toEqual(new Set(['crew', 'air traffic control', 'maritime patrol']));
    // Stopped by --duration: mcsim is closed and the broker publishes the firmware's will.
    expect(crew('status').at(-1)).toBe('offline');
  }, 1_300_000); // waits for the run's firmware build first

  it('says so when the prebuilt firmware it was given does not exist, and exits 1', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, MODDABLE: sdk!.dir, [PREBUILT_FIRMWARE_ENV]: '/nonexistent/mc.so' };
    delete env.DISPLAY;
    const error = (await run('node_modules/.bin/tsx', ['host/simulate.ts', '--device', 'sim', '--duration', '5'], { env, timeout: 60_000 }).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(error.code).toBe(1);
    expect(error.stderr).toContain(`error: $${PREBUILT_FIRMWARE_ENV} is /nonexistent/mc.so, which does not exist: unset it to build the firmware`);
  });

  it('says why when mcsim cannot start (a display that is not there), and exits 1', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, MODDABLE: sdk!.dir, DISPLAY: ':987', [PREBUILT_FIRMWARE_ENV]: await sharedSimulatorFirmware(sdk!) };
    const failed = await run('node_modules/.bin/tsx', ['host/simulate.ts', '--device', 'sim', '--json', '--duration', '120'], { env, timeout: 1_200_000 }).then(
      () => undefined,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain('error: the device is gone: mcsim ended (exit 1)');
    expect(failed?.stderr).toContain('cannot open display: :987'); // mcsim's own words, not just its status
  }, 1_300_000);
});
