// npm test's first step (the `pretest` script): makes sure this machine has what the suites need
// before any suite starts, so a missing package is named here instead of failing deep in a suite
// (spawning `mosquitto` with ENOENT). The Debian packages the suites use are listed once, below.
//
// When some are missing: as root with apt-get, it installs them; otherwise it stops at once and
// prints the one command that installs them. Then it gets the Moddable SDK's host tools ($MODDABLE,
// or built once from ../shared/moddable into ~/.cache): a suite that cannot get them skips loudly
// (fails under CI=true), so a failure here is reported and left to the suites.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { printHelp, runCommand, UsageError, wantsHelp } from './command-line';
import { locateModdableSdk, projectRoot } from './moddable/sdk';

export interface SystemPackage {
  /** The Debian package. */
  name: string;
  /** Which suites need it, for the message. */
  neededFor: string;
  /** A command the suites run from PATH, when that is what they need of it. */
  command?: string;
  /** Otherwise (or as well) a check that it is usable. */
  usable?: () => boolean;
  /** Needed only when this holds (e.g. the suite that needs it exists). */
  when?: () => boolean;
}

const pkgConfigHas = (module: string) => spawnSync('pkg-config', ['--exists', module]).status === 0;

/** Everything npm test needs from the system. Add a package here and nowhere else. */
export const SYSTEM_PACKAGES: SystemPackage[] = [
  { name: 'mosquitto', neededFor: 'the brokers the integration, OTA and simulator suites start', command: 'mosquitto' },
  { name: 'mosquitto-clients', neededFor: 'mosquitto_sub and mosquitto_passwd in the broker suites', command: 'mosquitto_sub' },
  { name: 'openssl', neededFor: 'the test certificate authority of the TLS suites', command: 'openssl' },
  { name: 'xvfb', neededFor: 'running the Moddable simulator without a display', command: 'xvfb-run' },
  { name: 'xauth', neededFor: 'xvfb-run', command: 'xauth' },
  { name: 'xdotool', neededFor: 'clicking the simulator pane in its suite (host-tests/moddable/simulator-panel.test.ts)', command: 'xdotool' },
  { name: 'x11-xserver-utils', neededFor: 'xsetroot, painting the virtual display in its suite', command: 'xsetroot' },
  { name: 'build-essential', neededFor: 'compiling the Moddable host tools and the simulator firmware', command: 'make', usable: () => spawnSync('cc', ['--version']).status === 0 },
  { name: 'pkg-config', neededFor: 'the simulator build finding GTK', command: 'pkg-config' },
  { name: 'libgtk-3-dev', neededFor: 'the GTK headers mcsim (the Moddable simulator) is built with', usable: () => pkgConfigHas('gtk+-3.0') },
  { name: 'zstd', neededFor: 'unpacking the Moddable SDK archive', command: 'zstd' },
  { name: 'git', neededFor: 'the ESP-IDF stand-in of the ESP32 XS-stage build', command: 'git' },
  {
    name: 'chromium',
    neededFor: 'the browser suite (host-tests/web/)',
    command: 'chromium',
    when: () => existsSync(path.join(projectRoot, 'host-tests/web')),
  },
];

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function debianInstalled(name: string): boolean {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
  return result.status === 0 && result.stdout.includes('install ok installed');
}

export interface Missing {
  pkg: SystemPackage;
  why: string;
  /** Set when the package is installed but its command is in a directory PATH lacks (e.g. /usr/sbin). */
  pathDir?: string;
}

const SYSTEM_DIRS = ['/usr/sbin', '/sbin', '/usr/local/sbin', '/usr/bin', '/bin'];

/** The packages the suites need that this machine lacks, each with why it counts as missing. */
export function missingPackages(packages: SystemPackage[] = SYSTEM_PACKAGES): Missing[] {
  const missing: Missing[] = [];
  for (const pkg of packages) {
    if (pkg.when && !pkg.when()) continue;
    if (pkg.command && !onPath(pkg.command)) {
      const pathDir = debianInstalled(pkg.name) ? SYSTEM_DIRS.find((dir) => existsSync(path.join(dir, pkg.command!))) : undefined;
      missing.push(pathDir ? { pkg, why: `installed, but ${pathDir} is not on PATH`, pathDir } : { pkg, why: `no \`${pkg.command}\` on PATH` });
    } else if (pkg.usable && !pkg.usable()) {
      missing.push({ pkg, why: 'not installed or not usable' });
    }
  }
  return missing;
}

/** What to tell a user who cannot install: the one command that fixes it. */
export function remedy(missing: Missing[]): string {
  const install = [...new Set(missing.filter((m) => !m.pathDir).map((m) => m.pkg.name))];
  const dirs = [...new Set(missing.flatMap((m) => (m.pathDir ? [m.pathDir] : [])))];
  const commands = [
    ...(dirs.length ? [`export PATH="$PATH:${dirs.join(':')}"`] : []),
    ...(install.length ? [`sudo apt-get install -y ${install.join(' ')}`] : []),
  ];
  return commands.join(' && ');
}

const isRoot = () => process.getuid?.() === 0;

function installWithApt(names: string[]): void {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  execFileSync('apt-get', ['install', '-y', '-qq', ...names], { stdio: ['ignore', 'ignore', 'inherit'], env });
}

const USAGE = `usage: npm run pretest   (runs by itself before npm test)

Checks the Debian packages npm test needs (${SYSTEM_PACKAGES.map((p) => p.name).join(', ')});
as root it installs the missing ones with apt-get, otherwise it stops and names the command to run.
Then it builds the Moddable SDK's host tools once, unless $MODDABLE is set.

  --help   this text`;

const log = (line: string) => process.stderr.write(`pretest: ${line}\n`);

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (wantsHelp(args)) return printHelp(USAGE);
  if (args.length) throw new UsageError(`takes no arguments, not: ${args.join(' ')}`);
  let missing = missingPackages();
  if (missing.length) {
    const names = [...new Set(missing.filter((m) => !m.pathDir).map((m) => m.pkg.name))];
    const reasons = missing.map((m) => `  ${m.pkg.name}: ${m.why}; needed for ${m.pkg.neededFor}`).join('\n');
    if (!names.length || !isRoot() || !onPath('apt-get')) {
      log(`npm test needs what this machine does not have:\n${reasons}\nRun this, then npm test again:\n\n  ${remedy(missing)}\n`);
      return 1;
    }
    log(`installing ${names.join(' ')} with apt-get (needed by the test suites)…`);
    installWithApt(names);
    missing = missingPackages();
    if (missing.length) {
      log(`still missing after apt-get install:\n${missing.map((m) => `  ${m.pkg.name}: ${m.why}`).join('\n')}\nRun this, then npm test again:\n\n  ${remedy(missing)}\n`);
      return 1;
    }
  }
  try {
    const sdk = await locateModdableSdk(log);
    log(`system packages present; Moddable SDK tools in ${sdk.dir}`);
  } catch (error) {
    log(`${(error as Error).message}\nthe Moddable suites will say so${process.env.CI ? ' and fail (CI)' : ' and skip'}`);
  }
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) runCommand(main, USAGE);
