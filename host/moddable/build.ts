// Builds the firmware with the Moddable SDK: for the desktop simulator (`npm run sim`, the simulator
// suite) and the XS stage of the ESP32 build (what can be checked without ESP-IDF).
//
// Both are mcconfig builds of the project's manifest.json. mcconfig writes a makefile with one
// TypeScript compile per module; the manifest names host/moddable/transpile.js as that compiler, and
// here it runs once for all modules before make (see that file for why). Type-checking is separate:
// typecheckFirmware(), one `tsc` over the whole firmware.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot, type ModdableSdk } from './sdk';
import { transpileModules } from './transpile.js';

const run = promisify(execFile);
const OUTPUT_LIMIT = 64 * 1024 * 1024;

export type BuildConfig = Record<string, string | number | boolean>;

/** A build step failed: the message ends with the tool's last lines of output. */
export class FirmwareBuildError extends Error {
  readonly code = 'FIRMWARE_BUILD_FAILED';
}

/** mcconfig names the app after the directory that holds manifest.json. */
export function appName(manifest = path.join(projectRoot, 'manifest.json')): string {
  return path.basename(path.dirname(manifest));
}

async function tool(step: string, command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd: string }): Promise<void> {
  try {
    await run(command, args, { ...options, maxBuffer: OUTPUT_LIMIT });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-15).join('\n');
    throw new FirmwareBuildError(`${step} failed (${command} ${args.join(' ')}):\n${tail}`);
  }
}

export interface BuildOptions {
  /** key=value settings for mcconfig (the manifest's "config"). */
  config?: BuildConfig;
  /**
   * 'sdk-tsc' builds as the SDK does by default, with one type-checking `tsc` per module: the
   * reference the build benchmark measures ours against. Default 'project': transpile.js.
   */
  typescript?: 'project' | 'sdk-tsc';
  /** Another app's manifest.json (a probe app of the benchmarks); default the firmware's. */
  manifest?: string;
}

/**
 * The manifest to build. For the SDK's own TypeScript compile, a manifest that includes ours and
 * names `tsc` as the compiler (the including manifest's setting wins); it sits in a directory named
 * like the project, so the app keeps its name and paths.
 */
function manifestFor(outDir: string, typescript: BuildOptions['typescript'], manifest?: string): string {
  const ours = manifest ?? path.join(projectRoot, 'manifest.json');
  if (typescript !== 'sdk-tsc') return ours;
  const dir = path.join(outDir, 'sdk-tsc', appName());
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ include: [ours], typescript: { compiler: 'tsc' } }, null, 2));
  return path.join(dir, 'manifest.json');
}

/**
 * mcconfig without -m: it resolves the manifest for `platform` and writes the makefile and the
 * per-module tsconfigs into `<outDir>/tmp/…`; then every TypeScript module is transpiled in this
 * process, so make finds them up to date. Returns the generated build directory and the tools' env.
 */
async function configure(sdk: ModdableSdk, platform: 'lin' | 'esp32', outDir: string, options: BuildOptions): Promise<{ tmpDir: string; env: NodeJS.ProcessEnv }> {
  mkdirSync(outDir, { recursive: true });
  const settings = Object.entries(options.config ?? {}).map(([key, value]) => `${key}=${value}`);
  // The SDK's default compiler is the `tsc` on PATH: this project's TypeScript.
  const env = options.typescript === 'sdk-tsc' ? { ...sdk.env, PATH: `${path.join(projectRoot, 'node_modules/.bin')}:${sdk.env.PATH}` } : sdk.env;
  const manifest = manifestFor(outDir, options.typescript, options.manifest);
  await tool('mcconfig', 'mcconfig', ['-d', '-p', platform, '-o', outDir, manifest, ...settings], { env, cwd: projectRoot });
  const tmpDir = generatedDir(outDir, platform, options.manifest);
  if (options.typescript !== 'sdk-tsc') {
    const { problems } = await transpileModules(path.join(tmpDir, 'modules'));
    if (problems.length) throw new FirmwareBuildError(`TypeScript could not be transpiled:\n${problems.join('\n')}`);
  }
  return { tmpDir, env };
}

/** Where mcconfig writes the makefile, the modules and their tsconfigs for a debug build. */
function generatedDir(outDir: string, platform: 'lin' | 'esp32', manifest?: string): string {
  return path.join(outDir, 'tmp', platform === 'lin' ? 'lin/mc' : platform, 'debug', appName(manifest));
}

/**
 * Builds the app for the desktop simulator (`-p lin`, debug) into `outDir` and returns the path of
 * mc.so. mcconfig's `-m` would also kill every running mcsim and launch one detached, so we generate
 * the makefile with mcconfig and run `make build` ourselves. Per-run settings (broker, TLS, device
 * id, scenario) are not build settings: startSimulator() hands them to the firmware at launch.
 */
export async function buildForSimulator(sdk: ModdableSdk, outDir: string, options: BuildOptions = {}): Promise<string> {
  const { tmpDir, env } = await configure(sdk, 'lin', outDir, options);
  await tool('make', 'make', ['build'], { env, cwd: tmpDir });
  return path.join(outDir, 'bin/lin/mc/debug', appName(options.manifest), 'mc.so');
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
export async function buildEsp32XsStage(sdk: ModdableSdk, outDir: string, options: BuildOptions = {}): Promise<Esp32XsStage> {
  const { tmpDir, env } = await configure(sdk, 'esp32', outDir, options);
  const standInIdf = path.join(outDir, 'idf-stand-in');
  if (!existsSync(path.join(standInIdf, '.git'))) {
    mkdirSync(standInIdf, { recursive: true });
    const git = (...args: string[]) =>
      tool('git (IDF stand-in)', 'git', ['-c', 'user.name=build', '-c', 'user.email=build@localhost', ...args], { cwd: standInIdf });
    await git('init', '-q');
    await git('commit', '-q', '--allow-empty', '-m', 'stand-in for the XS stage only');
    await git('tag', 'v5.4.1');
  }
  const configDir = path.join(tmpDir, 'xsProj-esp32/build/config');
  mkdirSync(configDir, { recursive: true });
  writeFileSync(path.join(configDir, 'sdkconfig.h'), '/* stand-in: only the XS stage is built here */\n');
  const target = path.join(tmpDir, 'mc.xs.c');
  await tool('make (XS stage)', 'make', [`IDF_PATH=${standInIdf}`, target], { env, cwd: tmpDir });
  const modulesDir = path.join(tmpDir, 'modules');
  const modules = listFiles(modulesDir)
    .filter((file) => file.endsWith('.xsb'))
    .map((file) => path.relative(modulesDir, file).replace(/\.xsb$/, ''));
  return { xsImageBytes: statSync(target).size, modules };
}

/**
 * Type-checks the whole firmware once (core, Moddable adapters, both boards) against the Moddable
 * typings: what mcconfig's per-module tsc used to check, module by module.
 */
export async function typecheckFirmware(): Promise<void> {
  const tsc = path.join(projectRoot, 'node_modules/typescript/bin/tsc');
  await tool('type-check (tsc -p tsconfig.device.json)', process.execPath, [tsc, '-p', 'tsconfig.device.json'], { cwd: projectRoot });
}

/**
 * Type-checks a build's TypeScript modules in one `tsc` run with the tsconfig mcconfig generated for
 * them: the SDK's own typings and the platform's module map, the check its per-module `tsc` made.
 * For the simulator suite, after a build into `outDir` for `platform`.
 */
export async function typecheckAgainstSdkTypings(outDir: string, platform: 'lin' | 'esp32'): Promise<number> {
  const modules = path.join(generatedDir(outDir, platform), 'modules');
  const files = readdirSync(modules, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('-tsconfig.json'))
    .flatMap((file) => (JSON.parse(readFileSync(path.join(modules, file), 'utf8')) as { files: string[] }).files);
  const config = path.join(modules, 'typecheck-tsconfig.all.json');
  writeFileSync(config, JSON.stringify({ extends: path.join(modules, 'tsconfig-base.json'), compilerOptions: { noEmit: true }, files }));
  const tsc = path.join(projectRoot, 'node_modules/typescript/bin/tsc');
  await tool(`type-check against the SDK's typings (${platform})`, process.execPath, [tsc, '-p', config], { cwd: projectRoot });
  return files.length;
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(path.join(dir, entry.name)) : [path.join(dir, entry.name)],
  );
}
