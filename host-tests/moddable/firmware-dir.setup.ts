// vitest globalSetup: a directory for this test run's one simulator firmware build, shared by every
// suite that runs the firmware in mcsim (host-tests/moddable/shared-firmware.ts builds into it on
// first use, so a run without those suites builds nothing). Removed when the run ends.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    simulatorFirmwareDir: string;
  }
}

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'altimeter-firmware-'));
  project.provide('simulatorFirmwareDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
