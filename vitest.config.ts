import { defineConfig } from 'vitest/config';

export default defineConfig({
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
