// npm run build:esp32 | flash — the device targets that need the Moddable SDK. Each first type-checks
// the firmware once (tsc -p tsconfig.device.json; the build itself only transpiles). `npm run sim`,
// the firmware in the desktop simulator, is `npm start -- --device sim` (host/devices/sim-device.ts).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { printHelp, runCommand, UsageError, wantsHelp } from '../command-line';
import { buildEsp32XsStage, typecheckFirmware } from './build';
import { locateModdableSdk, projectRoot } from './sdk';

const USAGE = {
  'build:esp32': `usage: npm run build:esp32 [-- key=value ...]

Builds the device image with mcconfig -m -t build -p esp32 (needs ESP-IDF: $IDF_PATH). Without
ESP-IDF it checks what it can (the esp32 manifest resolves, every module compiles and links for XS),
then fails naming what to install. key=value settings go to mcconfig (e.g. brokerHost=10.0.0.2).`,
  flash: `usage: npm run flash [-- key=value ...]

Builds the device image and flashes it to the board on $UPLOAD_PORT (mcconfig -m -t deploy -p esp32;
needs ESP-IDF). key=value settings go to mcconfig (e.g. wifiSsid=balloon wifiPassword=secret).`,
};
const GENERAL_USAGE = `usage: npm run build:esp32 | flash  (tsx host/moddable/cli.ts build:esp32|flash [options]);
--help after a command explains it`;

const log = (line: string) => process.stderr.write(`${line}\n`);

const ESP_IDF_MISSING =
  'ESP-IDF is not installed (IDF_PATH is not set). The ESP32 build needs it: install ESP-IDF v5.x as the ' +
  'Moddable guide documentation/devices/esp32.md describes, run `source $IDF_PATH/export.sh`, then run this again.';

async function esp32(command: 'build:esp32' | 'flash', args: string[]): Promise<number> {
  if (wantsHelp(args)) return printHelp(USAGE[command]);
  const wrong = args.find((arg) => !/^[A-Za-z_][\w.]*=/.test(arg));
  if (wrong !== undefined) throw new UsageError(`expected key=value settings for mcconfig, not "${wrong}"`, USAGE[command]);
  const sdk = await locateModdableSdk(log);
  log('type-checking the firmware…');
  await typecheckFirmware();
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
  const target = command === 'flash' ? 'deploy' : 'build';
  const mcconfigArgs = ['-m', '-t', target, '-p', 'esp32', '-o', outDir, path.join(projectRoot, 'manifest.json'), ...args];
  log(`mcconfig ${mcconfigArgs.join(' ')}`);
  const child = spawn('mcconfig', mcconfigArgs, { env: sdk.env, stdio: 'inherit', cwd: projectRoot });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  switch (command) {
    case 'build:esp32':
    case 'flash':
      return esp32(command, rest);
    case '--help':
    case '-h':
      return printHelp(GENERAL_USAGE);
    default:
      throw new UsageError(command === undefined ? 'no command' : `unknown command "${command}"`);
  }
}

runCommand(main, GENERAL_USAGE);
