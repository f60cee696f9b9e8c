// Finds (or builds) a Moddable SDK and builds this app with it. Used by `npm run sim`,
// `npm run build:esp32` and the test suite that runs the firmware in the desktop simulator.
//
// Which SDK: $MODDABLE when it is set (any checkout whose host tools are built), otherwise the SDK
// archive in ../shared/moddable/, built once by its build-tools.sh into ~/.cache (about a minute).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const projectRoot = path.resolve(import.meta.dirname, '../..');

export class ModdableSdkError extends Error {
  readonly code = 'MODDABLE_SDK_UNAVAILABLE';
}

export interface ModdableSdk {
  dir: string;
  binDir: string;
  /** PATH for the tools: the SDK binaries and this project's TypeScript (mcconfig runs `tsc`). */
  env: NodeJS.ProcessEnv;
}

function sdkFrom(dir: string): ModdableSdk {
  const binDir = path.join(dir, 'build/bin/lin/release');
  const tsBin = path.join(projectRoot, 'node_modules/.bin');
  return { dir, binDir, env: { ...process.env, MODDABLE: dir, PATH: `${binDir}:${tsBin}:${process.env.PATH ?? ''}` } };
}

/** The build script next to the SDK archive that the project's shared folder provides. */
export function sharedBuildScript(): string {
  return process.env.MODDABLE_BUILD_SCRIPT ?? path.resolve(projectRoot, '../shared/moddable/build-tools.sh');
}

/** Returns a usable SDK, building the shared archive's tools when $MODDABLE is not set. */
export async function locateModdableSdk(log: (line: string) => void = () => {}): Promise<ModdableSdk> {
  const fromEnv = process.env.MODDABLE;
  if (fromEnv) {
    const sdk = sdkFrom(fromEnv);
    if (!existsSync(path.join(sdk.binDir, 'mcconfig'))) {
      throw new ModdableSdkError(
        `$MODDABLE is ${fromEnv}, but its host tools are not built (no build/bin/lin/release/mcconfig). ` +
          'Build them as the Moddable "Getting started" guide says, or unset MODDABLE to use the shared SDK archive.',
      );
    }
    return sdk;
  }
  const script = sharedBuildScript();
  if (!existsSync(script)) {
    throw new ModdableSdkError(
      `no Moddable SDK: $MODDABLE is not set and ${script} does not exist. Set MODDABLE to an SDK checkout with built tools.`,
    );
  }
  log(`building the Moddable host tools with ${path.basename(script)} (once; cached afterwards)…`);
  try {
    const { stdout } = await run('bash', [script], { maxBuffer: 64 * 1024 * 1024 });
    const dir = stdout.trim().split('\n').pop() ?? '';
    return sdkFrom(dir);
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim().split('\n').slice(-5).join('\n');
    throw new ModdableSdkError(`the Moddable SDK could not be built by ${script}:\n${stderr}`);
  }
}

export type BuildConfig = Record<string, string | number | boolean>;

function configArguments(config: BuildConfig): string[] {
  return Object.entries(config).map(([key, value]) => `${key}=${value}`);
}

/**
 * Builds the app for the desktop simulator (`-p lin`, debug) into `outDir` and returns the path of mc.so.
 * mcconfig's `-m` would also kill every running mcsim and launch one detached, so we generate the
 * makefile with mcconfig and run `make build` ourselves.
 */
export async function buildForSimulator(sdk: ModdableSdk, outDir: string, config: BuildConfig = {}, manifest = path.join(projectRoot, 'manifest.json')): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  await run('mcconfig', ['-d', '-p', 'lin', '-o', outDir, manifest, ...configArguments(config)], {
    env: sdk.env,
    cwd: projectRoot,
    maxBuffer: 64 * 1024 * 1024,
  });
  const tmpDir = path.join(outDir, 'tmp/lin/mc/debug', appName(manifest));
  await run('make', ['build'], { env: sdk.env, cwd: tmpDir, maxBuffer: 64 * 1024 * 1024 });
  return path.join(outDir, 'bin/lin/mc/debug', appName(manifest), 'mc.so');
}

/** mcconfig names the app after the directory that holds manifest.json. */
export function appName(manifest = path.join(projectRoot, 'manifest.json')): string {
  return path.basename(path.dirname(manifest));
}

export interface SimulatorProcess {
  child: ChildProcess;
  /** Lines the app traced so far. */
  traces: string[];
  /** Resolves with the first trace line matching `pattern`. */
  waitForTrace(pattern: RegExp): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts mcsim with the app. Without a display it runs under `xvfb-run -a`; trace() output goes to
 * mcsim's stdout, block-buffered unless run under `stdbuf -oL`. Each run gets its own config home
 * (mcsim copies the app there) so parallel runs do not collide.
 */
export function startSimulator(sdk: ModdableSdk, mcSo: string, options: { headless?: boolean; env?: Record<string, string> } = {}): SimulatorProcess {
  const headless = options.headless ?? !process.env.DISPLAY;
  const configHome = path.join(os.tmpdir(), `altimeter-mcsim-${process.pid}-${Date.now()}`);
  mkdirSync(configHome, { recursive: true });
  const mcsim = path.join(sdk.binDir, 'mcsim');
  const command = [...(headless ? ['xvfb-run', '-a'] : []), 'stdbuf', '-oL', mcsim, path.join(sdk.dir, 'build/simulators'), mcSo];
  const child = spawn(command[0], command.slice(1), {
    env: { ...sdk.env, XDG_CONFIG_HOME: configHome, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const traces: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  let partial = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith('instruments')) continue;
      traces.push(line);
      for (const waiter of waiters.filter((w) => w.pattern.test(line))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  child.stderr?.resume();
  return {
    child,
    traces,
    waitForTrace(pattern) {
      const seen = traces.find((line) => pattern.test(line));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ pattern, resolve }));
    },
    async stop() {
      if (child.exitCode !== null || child.pid === undefined) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      try {
        process.kill(-child.pid, 'SIGTERM'); // the whole group: xvfb-run, Xvfb and mcsim
      } catch {
        /* already gone */
      }
      await exited;
    },
  };
}

export interface Esp32XsStage {
  /** Size of the linked XS image source (mc.xs.c) for the esp32 module set. */
  xsImageBytes: number;
  modules: string[];
}

/**
 * What can be proved for the ESP32 without ESP-IDF: mcconfig resolves the esp32 manifest (board
 * config, platform modules) and the XS stage compiles every module with xsc and links them with xsl
 * into mc.xs.c. The C and link stages need the ESP-IDF toolchain. The esp32 makefile insists on an
 * IDF_PATH whose git describe answers and on a generated sdkconfig.h; for this stage only we give it
 * an empty stand-in of each, in a scratch directory.
 */
export async function buildEsp32XsStage(sdk: ModdableSdk, outDir: string, config: BuildConfig = {}): Promise<Esp32XsStage> {
  mkdirSync(outDir, { recursive: true });
  const manifest = path.join(projectRoot, 'manifest.json');
  await run('mcconfig', ['-d', '-p', 'esp32', '-o', outDir, manifest, ...configArguments(config)], {
    env: sdk.env,
    cwd: projectRoot,
    maxBuffer: 64 * 1024 * 1024,
  });
  const tmpDir = path.join(outDir, 'tmp/esp32/debug', appName());
  const standInIdf = path.join(outDir, 'idf-stand-in');
  if (!existsSync(path.join(standInIdf, '.git'))) {
    mkdirSync(standInIdf, { recursive: true });
    const git = (...args: string[]) =>
      run('git', ['-c', 'user.name=build', '-c', 'user.email=build@localhost', ...args], { cwd: standInIdf });
    await git('init', '-q');
    await git('commit', '-q', '--allow-empty', '-m', 'stand-in for the XS stage only');
    await git('tag', 'v5.4.1');
  }
  const configDir = path.join(tmpDir, 'xsProj-esp32/build/config');
  mkdirSync(configDir, { recursive: true });
  writeFileSync(path.join(configDir, 'sdkconfig.h'), '/* stand-in: only the XS stage is built here */\n');
  const target = path.join(tmpDir, 'mc.xs.c');
  await run('make', [`IDF_PATH=${standInIdf}`, target], { env: sdk.env, cwd: tmpDir, maxBuffer: 64 * 1024 * 1024 });
  const modulesDir = path.join(tmpDir, 'modules');
  const modules = listFiles(modulesDir)
    .filter((file) => file.endsWith('.xsb'))
    .map((file) => path.relative(modulesDir, file).replace(/\.xsb$/, ''));
  const { size } = await import('node:fs/promises').then((fs) => fs.stat(target));
  return { xsImageBytes: size, modules };
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(path.join(dir, entry.name)) : [path.join(dir, entry.name)],
  );
}
