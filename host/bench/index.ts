// npm run bench [-- SECTION ...] — benchmarks, each printing our figure beside a reference measured
// in the same run, as a ratio. Sections: mqtt, node, ota, flights, build, page (all by default).
import { parseCommandLine, printHelp, runCommand, UsageError, wantsHelp } from '../command-line';
import { benchBuild } from './build';
import { benchFlights } from './flights';
import { benchMqtt } from './mqtt';
import { benchNode } from './node';
import { benchOta } from './ota';
import { benchGroundStation } from './ground-station';

const SECTIONS = {
  mqtt: 'the MQTT codec vs mqtt-packet, publishing to Mosquitto vs MQTT.js, the hot path on XS',
  node: "the sensor node's sample cycle on XS, the altitude filter on the flight model's flights",
  ota: 'verifying an update on XS: ECDSA P-256 vs Ed25519, SHA-256',
  flights: 'detection budgets: the named flights and 100 + 100 randomised good flights and envelope failures',
  build: "cold firmware builds (simulator, ESP32 XS stage) vs the SDK's per-module tsc",
  page: 'the ground station page in Chromium: 86,400 points, and 24 simulated hours at --speed 1000',
};
type Section = keyof typeof SECTIONS;

const USAGE = `usage: npm run bench [-- SECTION ...] [--no-build-reference]

Runs the benchmarks (all sections by default) and prints tables: our figure, a reference measured
in the same run, and their ratio.

${Object.entries(SECTIONS)
  .map(([name, what]) => `  ${name.padEnd(22)} ${what}`)
  .join('\n')}
  --no-build-reference   skip the reference builds (several minutes on 2 cores)
  --help                 this text`;

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (wantsHelp(args)) return printHelp(USAGE);
  const { values, positionals } = parseCommandLine({ args, allowPositionals: true, options: { 'no-build-reference': { type: 'boolean', default: false } } });
  const unknown = positionals.find((name) => !(name in SECTIONS));
  if (unknown !== undefined) throw new UsageError(`unknown section "${unknown}": choose from ${Object.keys(SECTIONS).join(', ')}`);
  const chosen = (positionals.length ? positionals : Object.keys(SECTIONS)) as Section[];
  const run: Record<Section, () => Promise<unknown>> = {
    mqtt: benchMqtt,
    node: benchNode,
    ota: benchOta,
    flights: benchFlights,
    build: () => benchBuild({ reference: !values['no-build-reference'] }),
    page: benchGroundStation,
  };
  for (const section of chosen) await run[section]();
  return 0;
}

runCommand(main, USAGE);
