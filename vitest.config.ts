import { defineConfig } from 'vitest/config';
import { moddableModules } from './host-tests/fakes/moddable/module-map';

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
    reporters: ['default', './host-tests/summary-reporter.ts'],
  },
});
