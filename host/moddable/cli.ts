// npm run build:esp32 | flash — the device targets that need the Moddable SDK. (`npm run sim`, the
// firmware in the desktop simulator, is `npm start -- --device sim`: host/devices/sim-device.ts.)
//
//   npm run build:esp32     builds the device image (needs $MODDABLE and ESP-IDF: $IDF_PATH).
//   npm run flash           builds and flashes it to the board on $UPLOAD_PORT (needs the same).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { buildEsp32XsStage, locateModdableSdk, projectRoot } from './sdk';

const log = (line: string) => process.stderr.write(`${line}\n`);

const ESP_IDF_MISSING =
  'ESP-IDF is not installed (IDF_PATH is not set). The ESP32 build needs it: install ESP-IDF v5.x as the ' +
  'Moddable guide documentation/devices/esp32.md describes, run `source $IDF_PATH/export.sh`, then run this again.';

async function esp32(args: string[], deploy: boolean): Promise<number> {
  const sdk = await locateModdableSdk(log);
  if (!process.env.IDF_PATH) {
    log('checking what can be checked without ESP-IDF: the esp32 manifest and the XS stage…');
    const stage = await buildEsp32XsStage(sdk, path.join(projectRoot, 'build/esp32-xs-stage'));
    log(
      `ok: the esp32 manifest resolves and ${stage.modules.length} modules compile and link for XS ` +
        `(mc.xs.c, ${stage.xsImageBytes} bytes)`,
    );
    log(ESP_IDF_MISSING);
    return 1;
  }
  const outDir = path.join(projectRoot, 'build/esp32');
  // -m runs the generated makefile; its target `build` stops after the image, `deploy` also flashes it.
  const target = deploy ? 'deploy' : 'build';
  const mcconfigArgs = ['-m', '-t', target, '-p', 'esp32', '-o', outDir, path.join(projectRoot, 'manifest.json'), ...args];
  log(`mcconfig ${mcconfigArgs.join(' ')}`);
  const child = spawn('mcconfig', mcconfigArgs, { env: sdk.env, stdio: 'inherit', cwd: projectRoot });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  switch (command) {
    case 'build:esp32':
      return esp32(rest, false);
    case 'flash':
      return esp32(rest, true);
    default:
      log('usage: tsx host/moddable/cli.ts build:esp32|flash');
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    log(`error: ${error.message}`);
    process.exit(1);
  },
);
