// Debian's Chromium for the page suites. Missing, the suite is skipped loudly; in CI (CI=true)
// that is a failure instead, since .ci/run installs it.
import type { Browser } from 'playwright-core';
import { CHROMIUM_MISSING, chromiumPath, launchChromium } from '../../host/web/chromium';

export function chromiumForTests(): boolean {
  if (chromiumPath()) return true;
  if (process.env.CI) throw new Error(CHROMIUM_MISSING);
  process.stderr.write(`\n*** SKIPPING the ground station page suite: ${CHROMIUM_MISSING}\n\n`);
  return false;
}

export { launchChromium, type Browser };
