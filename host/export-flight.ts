// npm run export-flight -- NAME [--seed N] [--every S] [--after S] — writes a named flight of the
// physical model as the CSV that `npm start -- --flight` replays (t_s,altitude_m,temperature_c: the
// truth, not a measurement; the replay adds the chip's noise). The sample flights in flights/ were
// made with it.
import { SimulatedFlight } from '../src/sim/flight';
import { isScenarioName, scenario, SCENARIO_NAMES } from '../src/sim/scenarios';
import { parseCommandLine, printHelp, runCommand, UsageError, wantsHelp } from './command-line';

const USAGE = `usage: npm run export-flight -- NAME [--seed N] [--every S] [--after S]

Writes the named flight to stdout as CSV (t_s,altitude_m,temperature_c) for npm start -- --flight.
  NAME        ${SCENARIO_NAMES.join(', ')}
  --seed N    the flight's seed (default 1)
  --every S   seconds between rows (default 2)
  --after S   seconds to keep writing after the landing or the impact (default 60)
  --help      this text`;

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (wantsHelp(args)) return printHelp(USAGE);
  const { values, positionals } = parseCommandLine({
    args,
    allowPositionals: true,
    options: { seed: { type: 'string', default: '1' }, every: { type: 'string', default: '2' }, after: { type: 'string', default: '60' } },
  });
  const [name] = positionals;
  if (positionals.length !== 1 || !isScenarioName(name)) throw new UsageError(`name one flight: ${SCENARIO_NAMES.join(', ')}`);
  const seed = Number(values.seed);
  const everyS = Number(values.every);
  const afterS = Number(values.after);
  if (!(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32)) throw new UsageError(`--seed must be a whole number from 0 to 4294967295, not "${values.seed}"`);
  if (!(everyS > 0)) throw new UsageError(`--every must be a number of seconds above 0, not "${values.every}"`);
  if (!(afterS >= 0)) throw new UsageError(`--after must be a number of seconds, not "${values.after}"`);

  const flight = new SimulatedFlight(scenario(name, seed).spec, 0);
  const rows = ['t_s,altitude_m,temperature_c'];
  let endS = Infinity;
  for (let t = 0; t <= endS && t < 6 * 3600; t += everyS) {
    const state = flight.at(t * 1000);
    rows.push(`${Number(t.toFixed(3))},${state.altitudeM.toFixed(1)},${state.temperatureC.toFixed(1)}`);
    if (endS === Infinity && (flight.pilot.finished || flight.impactAtS >= 0)) endS = t + afterS;
  }
  process.stdout.write(`${rows.join('\n')}\n`);
  return 0;
}

runCommand(main, USAGE);
