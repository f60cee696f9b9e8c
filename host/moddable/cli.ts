// npm run sim | build:esp32 | flash — the firmware targets that need the Moddable SDK.
//
//   npm run sim [-- --broker HOST:PORT] [--scenario normal|crash|sensor-fault]
//       builds the app for the Moddable desktop simulator (boards/sim) and runs it. With a display it
//       opens the simulator window; without one it runs headless (xvfb-run) and prints the traces.
//   npm run build:esp32     builds the device image (needs $MODDABLE and ESP-IDF: $IDF_PATH).
//   npm run flash           builds and flashes it to the board on $UPLOAD_PORT (needs the same).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  buildEsp32XsStage,
  buildForSimulator,
  locateModdableSdk,
  projectRoot,
  type BuildConfig,
} from './sdk';
import { SimulatedDevice } from './sim-device';

const log = (line: string) => process.stderr.write(`${line}\n`);

async function sim(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { broker: { type: 'string' }, scenario: { type: 'string' }, id: { type: 'string' } },
  });
  const config: BuildConfig = {};
  if (values.broker) {
    const [host, port] = values.broker.replace(/^mqtts?:\/\//, '').split(':');
    config.brokerHost = host;
    if (port) config.brokerPort = Number(port);
  }
  if (values.scenario) config.flightScenario = values.scenario;
  if (values.id) config.deviceId = values.id;
  const sdk = await locateModdableSdk(log);
  log(`building for the desktop simulator with the SDK in ${sdk.dir}…`);
  const mcSo = await buildForSimulator(sdk, path.join(projectRoot, 'build/sim'), config);
  // A simulated device: the image flashed into slot 0 of build/sim-flash (its store survives between
  // runs, as NVS does), and mcsim started again whenever the firmware restarts itself (reboot, update).
  const device = SimulatedDevice.flash(path.join(projectRoot, 'build/sim-flash'), mcSo);
  const run = device.powerOn(sdk);
  log(`running ${mcSo}${process.env.DISPLAY ? '' : ' headless (no $DISPLAY)'}; Ctrl-C stops it`);
  let printed = 0;
  const pump = setInterval(() => {
    while (printed < run.traces.length) process.stdout.write(`${run.traces[printed++]}\n`);
  }, 100);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(pump);
  await run.off();
  return 0;
}

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
    case 'sim':
      return sim(rest);
    case 'build:esp32':
      return esp32(rest, false);
    case 'flash':
      return esp32(rest, true);
    default:
      log('usage: tsx host/moddable/cli.ts sim|build:esp32|flash');
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
