// npm run sim | build:esp32 | flash — the firmware targets that need the Moddable SDK. Each first
// type-checks the firmware once (tsc -p tsconfig.device.json; the build itself only transpiles).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { parseCommandLine, printHelp, runCommand, UsageError, wantsHelp } from '../command-line';
import { buildEsp32XsStage, buildForSimulator, typecheckFirmware } from './build';
import { locateModdableSdk, projectRoot } from './sdk';
import { startSimulator, type LaunchSettings } from './simulator';
import { isScenarioName, SCENARIO_NAMES, SCENARIO_SUMMARIES } from '../../src/sim/scenarios';

const USAGE = {
  sim: `usage: npm run sim [-- --broker HOST:PORT] [--id NAME] [--scenario NAME] [--seed N]

Builds the firmware for the Moddable desktop simulator (boards/sim) and runs it; without a display it
runs headless (xvfb-run) and prints the traces. Ctrl-C stops it. The options are handed to the
firmware at launch (no rebuild); its preferences stay in build/sim/run between runs.

  --broker HOST:PORT   the MQTT broker (default 127.0.0.1:1883)
  --id NAME            device id, the first level of every topic (default sensor1)
  --scenario NAME      the simulated flight (default normal), from the physical model:
${SCENARIO_NAMES.map((name) => `                         ${name.padEnd(20)}${SCENARIO_SUMMARIES[name]}`).join('\n')}
  --seed N             seed of the flight's wind and the sensor's noise (default 1)
  --help               this text`,
  'build:esp32': `usage: npm run build:esp32 [-- key=value ...]

Builds the device image with mcconfig -m -t build -p esp32 (needs ESP-IDF: $IDF_PATH). Without
ESP-IDF it checks what it can (the esp32 manifest resolves, every module compiles and links for XS),
then fails naming what to install. key=value settings go to mcconfig (e.g. brokerHost=10.0.0.2).`,
  flash: `usage: npm run flash [-- key=value ...]

Builds the device image and flashes it to the board on $UPLOAD_PORT (mcconfig -m -t deploy -p esp32;
needs ESP-IDF). key=value settings go to mcconfig (e.g. wifiSsid=balloon wifiPassword=secret).`,
};
const GENERAL_USAGE = `usage: npm run sim | build:esp32 | flash  (tsx host/moddable/cli.ts sim|build:esp32|flash [options]);
--help after a command explains it`;

const log = (line: string) => process.stderr.write(`${line}\n`);

function simLaunchSettings(args: string[]): LaunchSettings {
  const { values } = parseCommandLine(
    { args, options: { broker: { type: 'string' }, scenario: { type: 'string' }, seed: { type: 'string' }, id: { type: 'string' } } },
    USAGE.sim,
  );
  const launch: LaunchSettings = {};
  if (values.broker !== undefined) {
    const match = /^(?:mqtt:\/\/)?([^:/\s]+)(?::(\d{1,5}))?$/.exec(values.broker);
    const port = Number(match?.[2] ?? 1883);
    if (!match || port < 1 || port > 65535) throw new UsageError(`--broker must look like HOST:PORT (or mqtt://HOST:PORT), not "${values.broker}"`, USAGE.sim);
    launch.brokerHost = match[1];
    launch.brokerPort = port;
  }
  if (values.scenario !== undefined) {
    if (!isScenarioName(values.scenario)) throw new UsageError(`unknown scenario "${values.scenario}": choose ${SCENARIO_NAMES.join(', ')}`, USAGE.sim);
    launch.flightScenario = values.scenario;
  }
  if (values.seed !== undefined) {
    const seed = Number(values.seed);
    if (!(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32)) throw new UsageError(`--seed must be a whole number from 0 to 4294967295, not "${values.seed}"`, USAGE.sim);
    launch.flightSeed = seed;
  }
  if (values.id !== undefined) {
    if (!/^[^#+/\s]+$/.test(values.id)) throw new UsageError(`--id must be one topic level (no /, + or #, no spaces), not "${values.id}"`, USAGE.sim);
    launch.deviceId = values.id;
  }
  return launch;
}

async function sim(args: string[]): Promise<number> {
  if (wantsHelp(args)) return printHelp(USAGE.sim);
  const launch = simLaunchSettings(args);
  const sdk = await locateModdableSdk(log);
  log('type-checking the firmware…');
  await typecheckFirmware();
  log(`building for the desktop simulator with the SDK in ${sdk.dir}…`);
  const outDir = path.join(projectRoot, 'build/sim');
  const mcSo = await buildForSimulator(sdk, outDir);
  const simulator = startSimulator(sdk, mcSo, { launch, runDir: path.join(outDir, 'run') });
  log(`running ${mcSo}${process.env.DISPLAY ? '' : ' headless (no $DISPLAY)'}; Ctrl-C stops it`);
  let printed = 0;
  const pump = setInterval(() => {
    while (printed < simulator.traces.length) process.stdout.write(`${simulator.traces[printed++]}\n`);
  }, 100);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    simulator.child.once('exit', () => resolve());
  });
  clearInterval(pump);
  await simulator.stop();
  return 0;
}

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
    case 'sim':
      return sim(rest);
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
