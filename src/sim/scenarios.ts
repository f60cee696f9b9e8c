// The named flights (`--scenario`, the desktop simulator's `flightScenario`, the tests and the
// benchmark) and the randomised ones, each with the emergencies a correct node raises on it.
//
//   normal              about 66 minutes: inflation, climb at 3 m/s to 1,500 m, float, descent at
//                       2 m/s, landing; turbulence and gusts up to ±2 m/s                     → nothing
//   crash               climb to 600 m, the envelope tears (fall starts at ~0.9 g, 20 m/s), impact about
//                       5.5 minutes after the start                              → rapid-descent, crash
//   sensor-fault        the normal flight; the chip is silent from 15:00 to 16:00 and its reading
//                       freezes from 25:00 to 25:40                                     → sensor-fault
//   gentle-failure      a slow leak at 1,200 m: the fall builds up over seconds to 12 m/s
//                                                                                → rapid-descent, crash
//   arrested-descent    the pilot vents from 1,800 m (a fast descent near 10 m/s) and burns from
//                       1,200 m: the burner needs some 600 m to arrest it, gradually, in the air; then a
//                       normal landing                                                  → rapid-descent
//   hard-landing        an approach at 5 m/s with no flare: an abrupt stop, but not after a fast
//                       descent                                                               → nothing
//   tree-landing        a normal approach into 15 m trees: the basket stops 15 m up and stays → nothing
//   high-terrain        lands on a plateau 350 m above the launch site                        → nothing
//   low-terrain         lands in a valley 250 m below the launch site                         → nothing
//   crash-high-terrain  the envelope tears at 900 m over ground 350 m above the launch site
//                                                                                → rapid-descent, crash
//   crash-in-trees      the envelope tears at 400 m over a forest: the wreck hangs in the trees
//                                                                                → rapid-descent, crash
//   dropout-fall        the envelope tears at 800 m; the sensor goes silent for 6 s from 60 m above the
//                       ground, through the impact                               → rapid-descent, crash
//   low-pass            contour flying between 20 and 40 m above the fields for 3 minutes  → low-altitude
//   low-failure         the envelope tears 20 m above the field on the final approach: two seconds of
//                       fall, impact at ~15 m/s
//                                                                                          → crash
//   silent-impact       the envelope tears at 800 m; the sensor is silent for 20 s from 120 m above the
//                       ground, through the impact, and comes back to a wreck at rest
//                                                                  → rapid-descent, sensor-fault, crash
import type { Clock } from '../ports';
import type { Leg } from './pilot';
import { flightSpec, SimulatedFlight, type FlightSpec, type Terrain } from './flight';
import { SeededRandom } from './random';
import { SimulatedBarometer, type ChipProfile } from './simulated-barometer';

/** The emergency kinds a scenario should raise (the names of src/app/emergency.ts). */
export type ExpectedEmergency = 'crash' | 'rapid-descent' | 'low-altitude' | 'sensor-fault';

export interface Scenario {
  spec: FlightSpec;
  /** Exactly the kinds a correct node raises on this flight (none for a good flight). */
  expected: ExpectedEmergency[];
}

export const SCENARIO_NAMES = [
  'normal',
  'crash',
  'sensor-fault',
  'gentle-failure',
  'arrested-descent',
  'hard-landing',
  'tree-landing',
  'high-terrain',
  'low-terrain',
  'crash-high-terrain',
  'crash-in-trees',
  'dropout-fall',
  'low-pass',
  'low-failure',
  'silent-impact',
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** One line each, for --help and the README (the header above has the details). */
export const SCENARIO_SUMMARIES: Record<ScenarioName, string> = {
  normal: 'a 66-minute flight to 1,500 m with gusts, landing where it took off',
  crash: 'the envelope tears at 600 m: a fall at 20 m/s, impact 5.5 minutes in',
  'sensor-fault': 'the normal flight; the chip is silent for a minute at 15:00, frozen at 25:00',
  'gentle-failure': 'a slow leak at 1,200 m: the fall builds up over seconds to 12 m/s',
  'arrested-descent': 'a vented descent near 10 m/s that the burner arrests gradually in the air',
  'hard-landing': 'an approach at 5 m/s without a flare',
  'tree-landing': 'a normal approach into 15 m trees, where the basket stays',
  'high-terrain': 'lands on a plateau 350 m above the launch site',
  'low-terrain': 'lands in a valley 250 m below the launch site',
  'crash-high-terrain': 'the envelope tears over ground 350 m above the launch site',
  'crash-in-trees': 'the envelope tears over a forest; the wreck hangs in the trees',
  'dropout-fall': 'the envelope tears; the sensor is silent for 6 s through the impact',
  'low-pass': 'contour flying between 20 and 40 m above the fields',
  'low-failure': 'the envelope tears 20 m above the field on the final approach: two seconds of fall',
  'silent-impact': 'the envelope tears; the sensor is silent for 20 s through the impact',
};

export function isScenarioName(name: string): name is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(name);
}

const inflation = (forS = 300): Leg => ({ kind: 'ground', phase: 'inflation', forS });
const climb = (toM: number, rateMps = 3): Leg => ({ kind: 'climb', phase: 'ascent', rateMps, toM });
const float = (forS: number): Leg => ({ kind: 'hold', phase: 'float', forS });
const descent = (aboveGroundM = 15, rateMps = 2): Leg => ({ kind: 'descend', phase: 'descent', rateMps, aboveGroundM });
const landing = (rateMps = 0.5): Leg => ({ kind: 'land', phase: 'landing', rateMps });
const ground = (fromS: number, groundM: number, treesM = 0): Terrain => ({ fromS, groundM, treesM });
const LAUNCH_FIELD = ground(0, 0);
const TEAR = { emptyingS: 0.2, terminalMps: 20 };

/** The named scenario with this seed (the seed changes the wind and the sensor noise, not the story). */
export function scenario(name: ScenarioName, seed = 1): Scenario {
  const normalPlan = [inflation(), climb(1500), float(2400), descent(), landing()];
  switch (name) {
    case 'normal':
      return { spec: flightSpec({ name, seed, plan: normalPlan }), expected: [] };
    case 'crash':
      return {
        spec: flightSpec({ name, seed, plan: [inflation(60), climb(600, 4), float(3600)], failure: { atS: 300, ...TEAR } }),
        expected: ['rapid-descent', 'crash'],
      };
    case 'sensor-fault':
      return {
        spec: flightSpec({
          name, seed, plan: normalPlan,
          sensorFaults: [{ kind: 'silent', fromS: 900, forS: 60 }, { kind: 'frozen', fromS: 1500, forS: 40 }],
        }),
        expected: ['sensor-fault'],
      };
    case 'gentle-failure':
      return {
        spec: flightSpec({ name, seed, plan: [inflation(120), climb(1200, 4), float(3600)], failure: { atS: 700, emptyingS: 4, terminalMps: 12 } }),
        expected: ['rapid-descent', 'crash'],
      };
    case 'arrested-descent':
      return {
        spec: flightSpec({
          name, seed,
          plan: [inflation(120), climb(1800, 4), float(200), { kind: 'vent', phase: 'fast descent', toM: 1200 }, { kind: 'arrest', phase: 'arresting' }, float(300), descent(), landing()],
        }),
        expected: ['rapid-descent'],
      };
    case 'hard-landing':
      return {
        spec: flightSpec({ name, seed, plan: [inflation(120), climb(500), float(300), descent(120), landing(5)] }),
        expected: [],
      };
    case 'tree-landing':
      return {
        spec: flightSpec({ name, seed, plan: [inflation(120), climb(400), float(600), descent(), landing(1)], terrain: [LAUNCH_FIELD, ground(700, 0, 15)] }),
        expected: [],
      };
    case 'high-terrain':
      return {
        spec: flightSpec({ name, seed, plan: [inflation(), climb(1200), float(1200), descent(), landing()], terrain: [LAUNCH_FIELD, ground(1200, 350)] }),
        expected: [],
      };
    case 'low-terrain':
      return {
        spec: flightSpec({ name, seed, plan: [inflation(), climb(800), float(1200), descent(), landing()], terrain: [LAUNCH_FIELD, ground(900, -250)] }),
        expected: [],
      };
    case 'crash-high-terrain':
      return {
        spec: flightSpec({ name, seed, plan: [inflation(120), climb(900, 4), float(3600)], terrain: [LAUNCH_FIELD, ground(500, 350)], failure: { atS: 800, ...TEAR } }),
        expected: ['rapid-descent', 'crash'],
      };
    case 'crash-in-trees':
      return {
        spec: flightSpec({ name, seed, plan: [inflation(120), climb(400, 3), float(3600)], terrain: [LAUNCH_FIELD, ground(400, 0, 18)], failure: { atS: 600, ...TEAR } }),
        expected: ['rapid-descent', 'crash'],
      };
    case 'dropout-fall':
      return {
        spec: flightSpec({
          name, seed, plan: [inflation(120), climb(800, 4), float(3600)], failure: { atS: 600, ...TEAR },
          sensorFaults: [{ kind: 'silent', whenBelowM: 60, forS: 6 }],
        }),
        expected: ['rapid-descent', 'crash'],
      };
    case 'low-failure':
      return {
        spec: flightSpec({ name, seed, plan: [inflation(120), climb(400), float(300), descent(), landing()], failure: { atS: 600, whenBelowM: 20, ...TEAR } }),
        expected: ['crash'],
      };
    case 'silent-impact':
      return {
        spec: flightSpec({
          name, seed, plan: [inflation(120), climb(800, 4), float(3600)], failure: { atS: 600, ...TEAR },
          sensorFaults: [{ kind: 'silent', whenBelowM: 120, forS: 20 }],
        }),
        expected: ['rapid-descent', 'sensor-fault', 'crash'],
      };
    case 'low-pass':
      return {
        spec: flightSpec({
          name, seed,
          // Contour flying: hopping over hedges and wires between 20 and 40 m above the fields.
          plan: [
            inflation(120), climb(300), float(300), descent(40),
            ...[20, 40, 20].map((atM): Leg => ({ kind: 'hold', phase: 'low pass', forS: 60, atM })),
            climb(300, 2), float(200), descent(), landing(),
          ],
          terrain: [LAUNCH_FIELD],
        }),
        expected: ['low-altitude'],
      };
  }
}

/**
 * A randomised good flight: launch site, balloon load, float height and time, rates (climbs of
 * 1.5–4 m/s, descents of 1–3.5 m/s, touchdowns from gentle to a firm 2.5 m/s), turbulence, gusts up
 * to ±2 m/s, and where it lands (ground from 300 m below to 400 m above the launch site, sometimes
 * trees). A correct node raises nothing on any of them.
 */
export function randomNormalFlight(seed: number): Scenario {
  const r = new SeededRandom(seed);
  const floatM = r.between(200, 3000);
  const landingGround = r.uniform() < 0.3 ? r.between(3, 50) : r.between(-300, 400); // often in the band just above the launch site
  const trees = r.uniform() < 0.25 ? r.between(10, 20) : 0;
  const spec = flightSpec({
    name: `random normal #${seed}`,
    seed,
    launchElevationM: r.between(0, 1500),
    qnhPa: r.between(99_000, 103_000),
    balloon: { ...flightSpec({ name: '', plan: [] }).balloon, grossMassKg: r.between(550, 750) },
    plan: [
      inflation(r.between(120, 400)),
      climb(Math.max(floatM, landingGround + trees + 150), r.between(1.5, 4)),
      float(r.between(300, 2400)),
      descent(r.between(10, 30), r.between(1, 3.5)),
      landing(r.between(0.3, 2.5)), // up to a firm landing in wind
    ],
    terrain: [LAUNCH_FIELD, ground(0, landingGround, trees)],
    wind: { turbulenceMps: r.between(0, 0.6), turbulenceTimeS: r.between(20, 90), gustMps: r.between(0, 2), gustEveryS: r.between(60, 300) },
  });
  return { spec, expected: [] };
}

/**
 * A randomised envelope failure: anywhere from 10 m to 3,000 m above the ground below (which lies
 * from 300 m below to 400 m above the launch site, sometimes forested), in the float, the climb or a
 * descent, an onset from a tear (~1 g) to a leak of several seconds, a terminal speed of 10–30 m/s;
 * in some the sensor also goes silent for 3–10 s on the way down, 20–100 m above the ground. A correct node raises
 * a crash on every one (and rapid-descent whenever the fall lasts long enough for its debounce).
 */
export function randomEnvelopeFailure(seed: number): Scenario {
  const r = new SeededRandom(seed ^ 0x5f3759df);
  const groundM = r.between(-300, 400);
  const trees = r.uniform() < 0.25 ? r.between(10, 20) : 0;
  const failureAboveGroundM = r.uniform() < 0.2 ? r.between(10, 200) : r.between(200, 3000);
  const heightM = groundM + trees + failureAboveGroundM;
  const climbMps = r.between(2, 4);
  const when = r.uniform();
  const onset = { emptyingS: r.uniform() < 0.5 ? r.between(0.1, 0.5) : r.between(0.5, 8), terminalMps: r.between(10, 30) };
  // A dropout on the way down, once the fall has been seen for a while (one that hides the whole fall
  // hides the crash too: the node then reports only the sensor fault).
  const dropout = r.uniform() < 0.2 && failureAboveGroundM > 200 ? [{ kind: 'silent' as const, whenBelowM: r.between(20, 100), forS: r.between(3, 10) }] : [];
  // On the ground for 120 s, then climbing at about climbMps: the climb reaches `heightM` after roughly this long.
  const climbedS = 120 + Math.max(heightM, 30) / climbMps;
  let plan: Leg[];
  let failure: FlightSpec['failure'];
  if (when < 0.5 && heightM >= 30) {
    // In the float, once the balloon has climbed to its height.
    plan = [inflation(120), climb(Math.max(heightM, 30), climbMps), float(7200)];
    failure = { atS: climbedS + 60 + r.between(0, 540), ...onset };
  } else if (when < 0.75 && heightM >= 30) {
    // In the climb, on the way through its height.
    plan = [inflation(120), climb(Math.max(heightM, 30) + 500, climbMps), float(7200)];
    failure = { atS: climbedS, ...onset };
  } else {
    // In a descent from 400 m higher (the only way to be low over a valley), on the way through its height.
    plan = [inflation(120), climb(heightM + 400, climbMps), float(300), descent(trees ? 15 : 10, r.between(1, 3)), landing()];
    failure = { atS: climbedS + 400 / climbMps + 300, whenBelowM: failureAboveGroundM, ...onset };
  }
  const spec = flightSpec({
    name: `random envelope failure #${seed}`,
    seed,
    launchElevationM: r.between(0, 1500),
    qnhPa: r.between(99_000, 103_000),
    plan,
    terrain: [LAUNCH_FIELD, ground(0, groundM, trees)],
    wind: { turbulenceMps: r.between(0, 0.6), turbulenceTimeS: r.between(20, 90), gustMps: r.between(0, 2), gustEveryS: r.between(60, 300) },
    failure,
    sensorFaults: dropout,
  });
  return { spec, expected: ['crash'] };
}

export interface ScenarioFlightOptions {
  seed?: number;
  /** When the flight starts (default: now on `clock`). */
  startMs?: number;
  launchElevationM?: number;
  profile?: ChipProfile;
  ambientNoisePa?: number;
}

/** A named scenario flown from `startMs`, and the simulated chip that measures it. */
export function flyScenario(name: ScenarioName, clock: Clock, options: ScenarioFlightOptions = {}): { flight: SimulatedFlight; barometer: SimulatedBarometer } {
  const seed = options.seed ?? 1;
  const { spec } = scenario(name, seed);
  const flight = new SimulatedFlight(options.launchElevationM === undefined ? spec : { ...spec, launchElevationM: options.launchElevationM }, options.startMs ?? clock.now());
  const barometer = new SimulatedBarometer({ clock, flight, seed, profile: options.profile, ambientNoisePa: options.ambientNoisePa });
  return { flight, barometer };
}
