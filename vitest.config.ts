import { defineConfig } from 'vitest/config';
import { moddableModules } from './host-tests/fakes/moddable/module-map';
import LongFilesFirst from './host-tests/sequencer';

export default defineConfig({
  // The firmware's Moddable adapters import Moddable module names; in tests they resolve to the
  // emulators of host-tests/fakes/moddable/sdk (see module-map.ts).
  plugins: [moddableModules()],
  test: {
    include: ['host-tests/**/*.test.ts'],
    // Suites start real brokers, the XS engine and the Moddable simulator: give them room, but every
    // test still ends by itself (no wall-clock assertions; these limits only stop a hang).
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // vitest's default on 2 cores is one file at a time; most of the long files wait far more than
    // they compute, so four run side by side (host-tests/sequencer.ts decides which start first).
    maxWorkers: 4,
    sequence: { sequencer: LongFilesFirst },
    // One simulator firmware build per run, shared by the suites that run it in mcsim.
    globalSetup: ['host-tests/moddable/firmware-dir.setup.ts'],
    reporters: ['default', './host-tests/summary-reporter.ts'],
  },
});
