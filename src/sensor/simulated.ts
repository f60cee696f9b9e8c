// A simulated balloon flight and a barometer that "flies" it, driven by the clock port. This is what
// `npm start` and the Moddable desktop simulator read instead of a chip.
//
//   normal        inflation on the ground (5 min), ascent at 3 m/s to 1,500 m, float (40 min, gentle
//                 oscillation), descent at 2 m/s, flare and landing: about 66 minutes
//   crash         a short climb to 600 m, then the envelope fails: a fall at 15 m/s and an impact
//                 about 5.5 minutes after the start
//   sensor-fault  the normal flight, but the chip stops answering for a minute at 15 min and its
//                 reading freezes for 40 s at 25 min
import type { Clock } from '../ports';
import { pressureAtAltitudePa, STANDARD_PRESSURE_PA } from './altitude';
import type { Barometer, BarometerSample, ChipName } from './barometer';
import { SensorFault } from './errors';

export type FlightScenario = 'normal' | 'crash' | 'sensor-fault';
export const FLIGHT_SCENARIOS: FlightScenario[] = ['normal', 'crash', 'sensor-fault'];

export interface FlightState {
  /** Height above the launch site (m). */
  altitudeM: number;
  verticalSpeedMps: number;
  phase: string;
}

/** A piece of the flight with constant acceleration, plus an optional gentle oscillation. */
interface Segment {
  phase: string;
  startS: number;
  durationS: number;
  h0: number;
  v0: number;
  a: number;
  oscillation?: { amplitudeM: number; periodS: number };
}

class FlightBuilder {
  readonly segments: Segment[] = [];
  #t = 0;
  #h = 0;
  #v = 0;
  hold(phase: string, durationS: number, oscillation?: Segment['oscillation']): this {
    return this.#add({ phase, durationS, a: 0, oscillation });
  }
  /** Changes speed to `v` with acceleration magnitude `a`. */
  accelerate(phase: string, v: number, a: number): this {
    return this.#add({ phase, durationS: Math.abs(v - this.#v) / a, a: Math.sign(v - this.#v) * a });
  }
  /** Holds the current speed until the altitude reaches `h`. */
  until(phase: string, h: number): this {
    return this.#add({ phase, durationS: (h - this.#h) / this.#v, a: 0 });
  }
  /** An impact: the speed drops to zero at once. */
  stop(): this {
    this.#v = 0;
    return this;
  }
  #add(s: Omit<Segment, 'startS' | 'h0' | 'v0'>): this {
    const segment: Segment = { ...s, startS: this.#t, h0: this.#h, v0: this.#v };
    this.segments.push(segment);
    this.#t += s.durationS;
    this.#h += this.#v * s.durationS + (s.a * s.durationS * s.durationS) / 2;
    this.#v += s.a * s.durationS;
    return this;
  }
}

function flightPlan(scenario: FlightScenario): Segment[] {
  if (scenario === 'crash') {
    return new FlightBuilder()
      .hold('inflation', 60)
      .accelerate('ascent', 4, 0.4)
      .until('ascent', 600)
      .accelerate('float', 0, 0.4)
      .hold('float', 60)
      .accelerate('envelope failure', -15, 2)
      .until('falling', 0)
      .stop()
      .hold('crashed', Infinity).segments;
  }
  return new FlightBuilder()
    .hold('inflation', 300)
    .accelerate('ascent', 3, 0.3)
    .until('ascent', 1500)
    .accelerate('float', 0, 0.3)
    .hold('float', 2400, { amplitudeM: 15, periodS: 240 })
    .accelerate('descent', -2, 0.2)
    .until('descent', 15)
    .accelerate('landing', -0.3, 0.2)
    .until('landing', 0)
    .stop()
    .hold('landed', Infinity).segments;
}

/** Where the balloon is over time: a scripted scenario, or a flight flown live (the simulator's panel). */
export interface FlightPath {
  readonly startMs: number;
  /** The true state at `nowMs` (the returned object may be reused). */
  at(nowMs: number): FlightState;
}

export class SimulatedFlight implements FlightPath {
  readonly scenario: FlightScenario;
  readonly startMs: number;
  readonly #segments: Segment[];
  #cursor = 0;
  readonly #state: FlightState = { altitudeM: 0, verticalSpeedMps: 0, phase: '' };

  constructor(scenario: FlightScenario, startMs: number) {
    this.scenario = scenario;
    this.startMs = startMs;
    this.#segments = flightPlan(scenario);
  }

  /** The true state at `nowMs` (the returned object is reused). */
  at(nowMs: number): FlightState {
    const t = Math.max(0, (nowMs - this.startMs) / 1000);
    const segments = this.#segments;
    if (t < segments[this.#cursor].startS) this.#cursor = 0;
    while (t >= segments[this.#cursor].startS + segments[this.#cursor].durationS) this.#cursor++;
    const s = segments[this.#cursor];
    const tau = t - s.startS;
    let h = s.h0 + s.v0 * tau + (s.a * tau * tau) / 2;
    let v = s.v0 + s.a * tau;
    if (s.oscillation) {
      const w = (2 * Math.PI) / s.oscillation.periodS;
      h += s.oscillation.amplitudeM * Math.sin(w * tau);
      v += s.oscillation.amplitudeM * w * Math.cos(w * tau);
    }
    this.#state.altitudeM = Math.max(0, h);
    this.#state.verticalSpeedMps = h <= 0 && v < 0 ? 0 : v;
    this.#state.phase = s.phase;
    return this.#state;
  }

  /** Seconds from the start to the moment the scenario's flight is over (landing or impact). */
  get flightDurationS(): number {
    const last = this.#segments[this.#segments.length - 1];
    return last.startS;
  }
}

export interface SimulatedBarometerOptions<F extends FlightPath = SimulatedFlight> {
  clock: Clock;
  scenario: FlightScenario;
  /** Fly this path instead of the scenario's (the scenario still decides the chip's scripted faults). */
  flight?: F;
  /** Elevation of the launch site above sea level (m). */
  launchElevationM?: number;
  /** Sea-level pressure of the day (Pa). */
  qnhPa?: number;
  /** Standard deviation of the pressure noise (Pa); a BMP280 at ×16 is about 1.3 Pa. */
  noisePa?: number;
  seed?: number;
  startMs?: number;
}

/** Barometer that reads the simulated flight, with chip-like noise and the scenario's faults. */
export class SimulatedBarometer<F extends FlightPath = SimulatedFlight> implements Barometer {
  readonly chip: ChipName = 'SIMULATED';
  readonly address = 0;
  readonly flight: F;
  readonly #scenario: FlightScenario;
  readonly #clock: Clock;
  readonly #elevationM: number;
  readonly #qnhPa: number;
  readonly #noisePa: number;
  readonly #sample: BarometerSample = { pressure: 0, temperature: 0 };
  #seed: number;

  constructor(options: SimulatedBarometerOptions<F>) {
    this.#clock = options.clock;
    this.#scenario = options.scenario;
    // Without a path of its own it flies the scenario's (F is then SimulatedFlight, the default).
    this.flight = options.flight ?? (new SimulatedFlight(options.scenario, options.startMs ?? options.clock.now()) as FlightPath as F);
    this.#elevationM = options.launchElevationM ?? 120;
    this.#qnhPa = options.qnhPa ?? STANDARD_PRESSURE_PA;
    this.#noisePa = options.noisePa ?? 1.3;
    this.#seed = options.seed ?? 0x2545f491;
  }

  /** Uniform in (0, 1) from xorshift32: small, fast and deterministic. */
  #uniform(): number {
    this.#seed ^= this.#seed << 13;
    this.#seed ^= this.#seed >>> 17;
    this.#seed ^= this.#seed << 5;
    return ((this.#seed >>> 0) + 0.5) / 4294967296;
  }

  /** Standard normal noise (Box–Muller). */
  #gaussian(): number {
    return Math.sqrt(-2 * Math.log(this.#uniform())) * Math.cos(2 * Math.PI * this.#uniform());
  }

  sample(): BarometerSample {
    const now = this.#clock.now();
    const elapsedS = (now - this.flight.startMs) / 1000;
    if (this.#scenario === 'sensor-fault') {
      if (elapsedS >= 900 && elapsedS < 960) throw new SensorFault('NACK', 'SIMULATED: no acknowledge (scenario sensor-fault: the chip is silent from 15:00 to 16:00)');
      if (elapsedS >= 1500 && elapsedS < 1540) return this.#sample; // frozen: the same values again
    }
    const { altitudeM } = this.flight.at(now);
    const amsl = this.#elevationM + altitudeM;
    this.#sample.pressure = pressureAtAltitudePa(amsl, this.#qnhPa) + this.#noisePa * this.#gaussian();
    this.#sample.temperature = Math.round((15 - 0.0065 * amsl + 0.02 * this.#gaussian()) * 100) / 100;
    return this.#sample;
  }

  reinitialize(): void {}
  close(): void {}
}
