// Debian's Chromium, driven by playwright-core (which never downloads a browser). Used by the page's
// test suite and by the page benchmark. Every launch gets a fresh profile (playwright makes a new
// temporary user-data-dir and removes it at close), and the flags keep Chromium from reaching
// anything but what the page asks for.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** $CHROMIUM, else Debian's chromium; undefined when neither is installed. */
export function chromiumPath(): string | undefined {
  const fromEnv = process.env.CHROMIUM;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  return CANDIDATES.find((path) => existsSync(path));
}

export const CHROMIUM_MISSING = 'Chromium is not installed: apt-get install chromium (or set CHROMIUM to a Chromium binary)';

export async function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error(CHROMIUM_MISSING);
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox', // root in CI and in containers
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-features=Translate,OptimizationHints,MediaRouter',
    ],
  });
}
