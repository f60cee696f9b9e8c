// npm test's first step (host/prerequisites.ts): what counts as missing, and the one command a user
// who cannot install is told to run. (Installing with apt-get as root is not exercised here: it
// would change the machine the other suites run on.)
import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { missingPackages, remedy, SYSTEM_PACKAGES } from '../../host/prerequisites';

const execute = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

describe('the pretest check of system packages', () => {
  it('finds every package the suites need on this machine', () => {
    expect(missingPackages()).toEqual([]);
    for (const name of ['mosquitto', 'mosquitto-clients', 'xvfb', 'libgtk-3-dev']) expect(SYSTEM_PACKAGES.map((p) => p.name)).toContain(name);
  });

  it('names a package whose command is not on PATH, and the apt-get command that installs it', () => {
    const missing = missingPackages([
      { name: 'altimeter-test-absent', neededFor: 'nothing', command: 'altimeter-no-such-command' },
      { name: 'altimeter-test-unusable', neededFor: 'nothing', usable: () => false },
      { name: 'altimeter-test-not-needed', neededFor: 'nothing', command: 'altimeter-no-such-command', when: () => false },
    ]);
    expect(missing.map((m) => [m.pkg.name, m.why])).toEqual([
      ['altimeter-test-absent', 'no `altimeter-no-such-command` on PATH'],
      ['altimeter-test-unusable', 'not installed or not usable'],
    ]);
    expect(remedy(missing)).toBe('sudo apt-get install -y altimeter-test-absent altimeter-test-unusable');
  });

  it('stops at once, without root, naming the command to run (here: mosquitto installed but its directory not on PATH)', async () => {
    const mosquittoDir = path.dirname(execFileSync('sh', ['-c', 'command -v mosquitto'], { encoding: 'utf8' }).trim());
    const pathWithout = ['/usr/local/bin', '/usr/bin', '/bin'].filter((dir) => dir !== mosquittoDir).join(':');
    const asNobody = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
    const command = [...asNobody, process.execPath, path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'host/prerequisites.ts'];
    const outcome = await execute(command[0], command.slice(1), { cwd: root, env: { ...process.env, PATH: pathWithout }, timeout: 60_000 }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect((outcome as { code: number }).code).toBe(1);
    const stderr = (outcome as { stderr: string }).stderr;
    expect(stderr).toContain(`mosquitto: installed, but ${mosquittoDir} is not on PATH`);
    expect(stderr).toContain(`  export PATH="$PATH:${mosquittoDir}"`);
    expect(stderr).not.toContain('Moddable'); // it stopped before anything slow
  });
});
