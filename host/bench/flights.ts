// npm run bench (flights part): the detection budgets over the flight model's scenarios, through the
// simulated chip, the Altimeter and the emergency rules, as on the device:
//   rapid-descent raised ≤ 3 s after its debounce could first be satisfied (by the true descent),
//   crash raised ≤ 10 s after the impact,
//   no false emergency over 100 randomised good flights, no missed crash over 100 randomised
//   envelope failures (seeds 1–100, reproducible).
// The goal column is the budget; there is no other implementation to measure beside ours.
import { checkFlight, type FlightCheck, type FlightCheckOptions } from '../../src/sim/flight-check';
import { randomEnvelopeFailure, randomNormalFlight, scenario, SCENARIO_NAMES, type Scenario } from '../../src/sim/scenarios';
import { CHIP_PROFILES } from '../../src/sim/simulated-barometer';
import { printTable, type Row } from './report';

const RANDOM_FLIGHTS = 100;

interface Delays {
  rapidDescentS: number[];
  /** Crash after the impact, with the sensor answering through it. */
  crashS: number[];
  /** Crash after the sensor answered again, on flights where it was silent through the impact. */
  crashAfterSilenceS: number[];
  /** Flights on which rapid-descent was due (by the true descent) but never raised. */
  missedRapidDescents: number;
}

function raisedAt(check: FlightCheck, kind: string): number | undefined {
  return check.events.find((e) => e.kind === kind && e.active)?.atS;
}

function collectDelays(check: FlightCheck, delays: Delays): void {
  const crash = raisedAt(check, 'crash');
  if (crash !== undefined && check.impactAtS >= 0) {
    const silent = check.heardAfterImpactS - check.impactAtS > 1.5 * SAMPLE_S;
    if (silent) delays.crashAfterSilenceS.push(crash - check.heardAfterImpactS);
    else delays.crashS.push(crash - check.impactAtS);
  }
  const rapid = raisedAt(check, 'rapid-descent');
  if (rapid !== undefined && check.rapidDescentDueS >= 0) delays.rapidDescentS.push(rapid - check.rapidDescentDueS);
  // Missed: due, and the fall went on for the budget's 3 s after that (an impact sooner ends it: the
  // crash is what is reported then).
  const fallWentOn = check.impactAtS < 0 || check.impactAtS > check.rapidDescentDueS + 3;
  if (rapid === undefined && check.rapidDescentDueS >= 0 && fallWentOn) delays.missedRapidDescents++;
}

const SAMPLE_S = 1;

const worst = (values: number[]) => (values.length ? Math.max(...values) : NaN);
const median = (values: number[]) => (values.length ? [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] : NaN);

function namedTable(options: FlightCheckOptions, delays: Delays): void {
  process.stdout.write('\nNamed flights (seed 1): what each raised against what it should\n');
  const lines = [['flight', 'expected', 'raised', 'rapid-descent delay', 'crash delay', '']];
  for (const name of SCENARIO_NAMES) {
    const { expected } = scenario(name);
    const check = checkFlight(scenario(name), options);
    collectDelays(check, delays);
    const crash = raisedAt(check, 'crash');
    const rapid = raisedAt(check, 'rapid-descent');
    const right = [...check.raised].sort().join() === [...expected].sort().join();
    lines.push([
      name,
      expected.join(', ') || 'nothing',
      check.raised.join(', ') || 'nothing',
      rapid !== undefined && check.rapidDescentDueS >= 0 ? `${rapid - check.rapidDescentDueS} s` : '—',
      crash !== undefined && check.impactAtS >= 0
        ? `${(crash - check.impactAtS).toFixed(1)} s${check.heardAfterImpactS - check.impactAtS > 1.5 * SAMPLE_S ? ` (${(crash - check.heardAfterImpactS).toFixed(1)} s after the sensor answered again)` : ''}`
        : '—',
      right ? 'ok' : 'WRONG',
    ]);
  }
  const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  for (const line of lines) process.stdout.write(`${line.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()}\n`);
}

function randomRows(label: string, options: FlightCheckOptions, delays: Delays): Row[] {
  let falseEmergencies = 0;
  let missedCrashes = 0;
  const falseSeeds: number[] = [];
  const missedSeeds: number[] = [];
  for (let seed = 1; seed <= RANDOM_FLIGHTS; seed++) {
    const good = checkFlight(randomNormalFlight(seed), options);
    if (good.raised.length > 0) {
      falseEmergencies += good.raised.length;
      falseSeeds.push(seed);
    }
    const failure: Scenario = randomEnvelopeFailure(seed);
    const fallen = checkFlight(failure, options);
    collectDelays(fallen, delays);
    if (!fallen.raised.includes('crash')) {
      missedCrashes++;
      missedSeeds.push(seed);
    }
  }
  const seeds = (list: number[]) => (list.length ? ` (seeds ${list.join(', ')})` : '');
  return [
    { name: `${label}: false emergencies, ${RANDOM_FLIGHTS} good flights${seeds(falseSeeds)}`, ours: falseEmergencies, reference: undefined, unit: '', better: 'lower', goal: '0' },
    { name: `${label}: missed crashes, ${RANDOM_FLIGHTS} envelope failures${seeds(missedSeeds)}`, ours: missedCrashes, reference: undefined, unit: '', better: 'lower', goal: '0' },
  ];
}

function delayRows(label: string, delays: Delays): Row[] {
  return [
    { name: `${label}: rapid-descent after it was due, worst (${delays.rapidDescentS.length} falls)`, ours: worst(delays.rapidDescentS), reference: undefined, unit: 's', better: 'lower', goal: '≤ 3 s' },
    { name: `${label}: rapid-descent after it was due, median`, ours: median(delays.rapidDescentS), reference: undefined, unit: 's', better: 'lower' },
    { name: `${label}: rapid-descent due but never raised`, ours: delays.missedRapidDescents, reference: undefined, unit: '', better: 'lower', goal: '0' },
    { name: `${label}: crash after the impact, worst (${delays.crashS.length} impacts)`, ours: worst(delays.crashS), reference: undefined, unit: 's', better: 'lower', goal: '≤ 10 s' },
    { name: `${label}: crash after the impact, median`, ours: median(delays.crashS), reference: undefined, unit: 's', better: 'lower' },
    { name: `${label}: crash after a sensor silent through the impact answers again, worst (${delays.crashAfterSilenceS.length})`, ours: worst(delays.crashAfterSilenceS), reference: undefined, unit: 's', better: 'lower', goal: '≤ 10 s' },
  ];
}

export async function benchFlights(): Promise<Row[]> {
  const rows: Row[] = [];
  const conditions: [string, FlightCheckOptions][] = [
    ['BMP280', { profile: CHIP_PROFILES.BMP280 }],
    ['MS5611 + 2 Pa gusty air', { profile: CHIP_PROFILES.MS5611, ambientNoisePa: 2 }],
  ];
  for (const [label, options] of conditions) {
    const delays: Delays = { rapidDescentS: [], crashS: [], crashAfterSilenceS: [], missedRapidDescents: 0 };
    if (rows.length === 0) namedTable(options, delays);
    rows.push(...randomRows(label, options, delays), ...delayRows(label, delays));
  }
  printTable('Detection budgets over the flight model (named flights and seeds 1–100 of each random set)', rows);
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchFlights();
}
