// The simulator firmware for the suites that run it in mcsim: built once per test run, whichever
// suite asks first, and shared. The build takes most of a minute of two cores' CPU; per-run settings
// (broker, TLS, CA, device id, flight) go in at launch (host/moddable/simulator.ts), so one build
// serves every suite. Test files run in separate processes: the first to take the lock (an atomic
// mkdir in the run's directory, made by firmware-dir.setup.ts) builds and writes the outcome to a
// file; the others wait for that file, with a deadline that says what they waited for.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { inject } from 'vitest';
import { buildForSimulator } from '../../host/moddable/build';
import type { ModdableSdk } from '../../host/moddable/sdk';
import { waitUntil } from '../support/deadline';

/** Inside the suites' own limits for the build (900 s hooks), so this message is the one seen; a build that takes longer is a hang. */
const BUILD_DEADLINE_MS = 12 * 60_000;

let firmware: Promise<string> | undefined;

/** The path of this run's simulator build (mc.so), building it if no suite has yet. */
export function sharedSimulatorFirmware(sdk: ModdableSdk): Promise<string> {
  firmware ??= obtain(sdk);
  return firmware;
}

/** The build directory of that firmware (mcconfig's output directory), e.g. to type-check what it built. */
export function sharedSimulatorBuildDir(): string {
  return path.join(inject('simulatorFirmwareDir'), 'sim');
}

async function obtain(sdk: ModdableSdk): Promise<string> {
  const dir = inject('simulatorFirmwareDir');
  const outcomeFile = path.join(dir, 'outcome.json');
  let builder = true;
  try {
    mkdirSync(path.join(dir, 'lock'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    builder = false;
  }
  // Written whole, then renamed into place: a waiting suite never reads half of it.
  const publish = (outcome: { mcSo?: string; error?: string }) => {
    writeFileSync(`${outcomeFile}.part`, JSON.stringify(outcome));
    renameSync(`${outcomeFile}.part`, outcomeFile);
  };
  if (builder) {
    try {
      const mcSo = await buildForSimulator(sdk, sharedSimulatorBuildDir());
      publish({ mcSo });
      return mcSo;
    } catch (error) {
      publish({ error: (error as Error).message });
      throw error;
    }
  }
  await waitUntil("the simulator firmware build (another suite of this run is building it)", () => existsSync(outcomeFile), {
    timeoutMs: BUILD_DEADLINE_MS,
    intervalMs: 500,
  });
  const outcome = JSON.parse(readFileSync(outcomeFile, 'utf8')) as { mcSo?: string; error?: string };
  if (outcome.mcSo === undefined) throw new Error(`the shared simulator firmware build failed in another suite: ${outcome.error}`);
  return outcome.mcSo;
}
