// Finds (or builds) the Moddable SDK the firmware builds use (host/moddable/build.ts). Used by `npm run sim`,
// `npm run build:esp32` and the test suite that runs the firmware in the desktop simulator.
//
// Which SDK: $MODDABLE when it is set (any checkout whose host tools are built), otherwise the SDK
// archive in ../shared/moddable/, built once by its build-tools.sh into ~/.cache (about a minute).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
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
  /** MODDABLE and a PATH with the SDK binaries (mcconfig, xsc, xsl, mcsim) for the build tools. */
  env: NodeJS.ProcessEnv;
}

function sdkFrom(dir: string): ModdableSdk {
  const binDir = path.join(dir, 'build/bin/lin/release');
  return { dir, binDir, env: { ...process.env, MODDABLE: dir, PATH: `${binDir}:${process.env.PATH ?? ''}` } };
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
  log(`getting the Moddable host tools from ${path.basename(script)} (it builds them once, about a minute; cached afterwards)…`);
  try {
    const { stdout } = await run('bash', [script], { maxBuffer: 64 * 1024 * 1024 });
    const dir = stdout.trim().split('\n').pop() ?? '';
    return sdkFrom(dir);
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim().split('\n').slice(-5).join('\n');
    throw new ModdableSdkError(`the Moddable SDK could not be built by ${script}:\n${stderr}`);
  }
}
