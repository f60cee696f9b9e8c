// A simulated flight: the balloon model, its pilot, the wind, the ground below and what goes wrong
// (an envelope failure, a sensor that stops answering), moved forward by the clock. It is what the
// simulated barometer reads, in the tests, in `npm start` and in the desktop simulator, and it takes
// live inputs too (burner, vent, an altitude to hold, an envelope failure now) for a control panel.
//
// Everything random comes from one seed: the same spec and seed give the same flight, bit for bit,
// on Node and on XS. Moving it forward allocates nothing (it runs inside the node's sample cycle).
import { Balloon, DEFAULT_BALLOON, MODEL_STEP_S, type BalloonSpec, type Contact, type Surroundings } from './balloon';
import { Pilot, type Leg } from './pilot';
import { SeededRandom } from './random';
import { VerticalWind, type WindSpec } from './wind';

/**
 * The ground below from a moment of the flight on (the balloon drifts over other ground). The
 * balloon reaches new ground only from `fromS` on and once it is at least 50 m above it: it flies
 * over a hill, never into its side (a vertical model has no side).
 */
export interface Terrain {
  fromS: number;
  /** Height of the ground above the launch site (m): hundreds of metres either way over hills and valleys. */
  groundM: number;
  /** Trees on it (m; 0 for open ground). */
  treesM: number;
}

export interface EnvelopeFailure {
  /** When it fails (s from the start)… */
  atS: number;
  /** …or later, once the balloon, descending, comes within this height of what is below it. */
  whenBelowM?: number;
  /** Time constant of the emptying (s): 0.1–0.3 is a tear (the fall starts at nearly 1 g), seconds a leak. */
  emptyingS: number;
  /** The collapsed envelope's terminal speed (m/s): 10–30. */
  terminalMps: number;
}

export type SensorFaultKind = 'silent' | 'frozen';

export interface SensorFaultWindow {
  kind: SensorFaultKind;
  forS: number;
  /** Starts at this time (s from the start)… */
  fromS?: number;
  /** …or once the balloon, falling, comes within this height of what is below it. */
  whenBelowM?: number;
}

export interface FlightSpec {
  name: string;
  description: string;
  launchElevationM: number;
  qnhPa: number;
  balloon: BalloonSpec;
  plan: Leg[];
  terrain: Terrain[];
  wind: WindSpec;
  failure?: EnvelopeFailure;
  sensorFaults: SensorFaultWindow[];
  seed: number;
}

export interface FlightTruth {
  /** Height above the launch site (m). */
  altitudeM: number;
  verticalSpeedMps: number;
  /** Air around the sensor. */
  pressurePa: number;
  temperatureC: number;
  phase: string;
  contact: Contact;
  /** What the sensor does now: answers, stays silent, or repeats its last reading. */
  sensor: 'ok' | SensorFaultKind;
}

export class SimulatedFlight {
  readonly spec: FlightSpec;
  readonly startMs: number;
  readonly balloon: Balloon;
  readonly pilot: Pilot;
  readonly #wind: VerticalWind;
  readonly #truth: FlightTruth = { altitudeM: 0, verticalSpeedMps: 0, pressurePa: 0, temperatureC: 0, phase: '', contact: 'ground', sensor: 'ok' };
  readonly #faultStartS: number[];
  readonly #around: Surroundings = { windMps: 0, groundM: 0, treesM: 0 };
  #terrain = 0;
  /** When the envelope failed, and when the basket hit something after a failure or a fast descent (s); -1: not (yet). */
  failedAtS = -1;
  impactAtS = -1;
  impactSpeedMps = 0;
  /** The fastest descent so far (m/s, positive). */
  fastestDescentMps = 0;

  constructor(spec: FlightSpec, startMs = 0) {
    this.spec = spec;
    this.startMs = startMs;
    this.balloon = new Balloon(spec.balloon, spec.launchElevationM, spec.qnhPa);
    this.pilot = new Pilot(spec.plan);
    this.#wind = new VerticalWind(spec.wind, new SeededRandom(spec.seed));
    this.#faultStartS = spec.sensorFaults.map((f) => f.fromS ?? -1);
  }

  get elapsedS(): number {
    return this.balloon.timeS;
  }

  /** The ground below now. */
  get terrain(): Terrain {
    return this.spec.terrain[this.#terrain];
  }

  /** Live input: the envelope fails now. */
  failEnvelope(emptyingS = 0.2, terminalMps = 20): void {
    if (this.failedAtS >= 0) return;
    this.failedAtS = this.balloon.timeS;
    this.balloon.failEnvelope(emptyingS, terminalMps);
  }

  /** The true state at `nowMs` (the returned object is reused). Time only moves forward. */
  at(nowMs: number): FlightTruth {
    const targetS = (nowMs - this.startMs) / 1000;
    const balloon = this.balloon;
    while (balloon.timeS + MODEL_STEP_S / 2 <= targetS) this.#step();
    const truth = this.#truth;
    truth.altitudeM = balloon.heightM;
    truth.verticalSpeedMps = balloon.verticalSpeedMps;
    truth.pressurePa = balloon.air.pressurePa;
    truth.temperatureC = balloon.air.temperatureK - 273.15;
    truth.contact = balloon.contact;
    truth.phase = this.#phase();
    truth.sensor = this.#sensorState();
    return truth;
  }

  #step(): void {
    const balloon = this.balloon;
    const spec = this.spec;
    const t = balloon.timeS;
    for (let next = spec.terrain[this.#terrain + 1]; next && next.fromS <= t && balloon.heightM >= next.groundM + next.treesM + 50; next = spec.terrain[this.#terrain + 1]) {
      this.#terrain++;
    }
    const ground = spec.terrain[this.#terrain];
    const failure = spec.failure;
    if (failure && this.failedAtS < 0 && t >= failure.atS) {
      const below = failure.whenBelowM;
      if (below === undefined || (balloon.verticalSpeedMps < 0 && balloon.heightM - ground.groundM - ground.treesM < below)) this.failEnvelope(failure.emptyingS, failure.terminalMps);
    }
    const controls = this.pilot.fly(balloon, ground.groundM, ground.treesM);
    const wasAirborne = balloon.contact === 'airborne';
    const around = this.#around;
    around.windMps = this.#wind.at(t);
    around.groundM = ground.groundM;
    around.treesM = ground.treesM;
    balloon.step(controls, around);
    this.fastestDescentMps = Math.max(this.fastestDescentMps, -balloon.verticalSpeedMps);
    if (wasAirborne && balloon.contact !== 'airborne' && this.impactAtS < 0 && (this.failedAtS >= 0 || balloon.touchdownSpeedMps < -4)) {
      this.impactAtS = balloon.touchdownAtS;
      this.impactSpeedMps = -balloon.touchdownSpeedMps;
    }
    // A fault window that opens on the way down.
    for (let i = 0; i < spec.sensorFaults.length; i++) {
      const below = spec.sensorFaults[i].whenBelowM;
      if (below !== undefined && this.#faultStartS[i] < 0 && balloon.verticalSpeedMps < -3 && balloon.heightM - ground.groundM - ground.treesM < below) {
        this.#faultStartS[i] = balloon.timeS;
      }
    }
  }

  #phase(): string {
    const balloon = this.balloon;
    if (this.failedAtS >= 0) {
      if (balloon.contact === 'airborne') return balloon.timeS - this.failedAtS < 3 ? 'envelope failure' : 'falling';
      return balloon.contact === 'trees' ? 'crashed in trees' : 'crashed';
    }
    if (this.pilot.finished && balloon.contact === 'trees') return 'landed in trees';
    return this.pilot.phase;
  }

  #sensorState(): FlightTruth['sensor'] {
    const t = this.balloon.timeS;
    const faults = this.spec.sensorFaults;
    for (let i = 0; i < faults.length; i++) {
      const from = this.#faultStartS[i];
      if (from >= 0 && t >= from && t < from + faults[i].forS) return faults[i].kind;
    }
    return 'ok';
  }
}

/** Elevation of the launch site above sea level when nothing says otherwise (m). */
export const DEFAULT_LAUNCH_ELEVATION_M = 120;

/** A spec with the defaults filled in (a standard day at a 120 m launch site, the default balloon, light turbulence). */
export function flightSpec(spec: Partial<FlightSpec> & Pick<FlightSpec, 'name' | 'plan'>): FlightSpec {
  return {
    description: '',
    launchElevationM: DEFAULT_LAUNCH_ELEVATION_M,
    qnhPa: 101_325,
    balloon: DEFAULT_BALLOON,
    terrain: [{ fromS: 0, groundM: 0, treesM: 0 }],
    wind: { turbulenceMps: 0.3, turbulenceTimeS: 20, gustMps: 2, gustEveryS: 150 },
    sensorFaults: [],
    seed: 1,
    ...spec,
  };
}
