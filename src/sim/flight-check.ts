// Flies a scenario through what the node runs — the simulated chip, the Altimeter, the emergency
// rules — on a clock of its own, and reports what was raised and when, beside the truth: when the
// envelope failed, when the basket hit, and when rapid-descent could first have been raised (the
// true descent had been faster than the limit for the whole debounce). The tests (on Node and on XS)
// and the benchmark's detection budgets use it. Core-compatible: it imports core modules only.
import { DEFAULT_CONFIG, type EmergencyConfig } from '../app/config';
import { EmergencyMonitor } from '../app/emergency';
import type { Clock } from '../ports';
import { Altimeter } from '../sensor/altimeter';
import type { KalmanOptions } from '../sensor/kalman';
import { SimulatedFlight } from './flight';
import type { Scenario } from './scenarios';
import { CHIP_PROFILES, SimulatedBarometer, type ChipProfile } from './simulated-barometer';

export interface FlightEvent {
  /** Seconds from the start. */
  atS: number;
  kind: string;
  active: boolean;
}

export interface FlightCheck {
  name: string;
  events: FlightEvent[];
  /** Kinds raised at least once, in the order first raised. */
  raised: string[];
  failedAtS: number;
  impactAtS: number;
  impactSpeedMps: number;
  /**
   * When the node first had a reading after the impact (s; -1: no impact). Later than the impact by
   * more than a sample when the sensor was silent through it: nobody can report a crash before that.
   */
  heardAfterImpactS: number;
  /** When rapid-descent could first be raised from the truth (-1: never). */
  rapidDescentDueS: number;
  /** How far the estimated vertical speed strayed from the truth on "ok" readings, ignoring the
   *  first two readings after the failure and after the impact (m/s). */
  worstSpeedErrorMps: number;
  /** Root mean square of the same (m/s). */
  rmsSpeedErrorMps: number;
  /** Readings by quality. */
  qualities: { ok: number; degraded: number; fault: number };
  flownS: number;
}

export interface FlightCheckOptions {
  profile?: ChipProfile;
  ambientNoisePa?: number;
  kalman?: Partial<KalmanOptions>;
  emergency?: EmergencyConfig;
  sampleIntervalMs?: number;
  /** Stop this long after the landing or the impact (s). */
  afterS?: number;
  /** Never fly longer than this (s). */
  maxS?: number;
}

/** A clock that moves only when told (timers are not needed here: the loop calls read() itself). */
class SteppedClock implements Clock {
  nowMs = 0;
  now(): number {
    return this.nowMs;
  }
  setTimer(): object {
    throw new Error('the flight check drives the altimeter directly');
  }
  setRepeatingTimer(): object {
    throw new Error('the flight check drives the altimeter directly');
  }
  clearTimer(): void {}
}

export function checkFlight(scenario: Scenario, options: FlightCheckOptions = {}): FlightCheck {
  const spec = scenario.spec;
  const config = options.emergency ?? DEFAULT_CONFIG.emergency;
  const intervalMs = options.sampleIntervalMs ?? DEFAULT_CONFIG.sampleIntervalMs;
  const afterS = options.afterS ?? 60;
  const maxS = options.maxS ?? 3 * 3600;
  const clock = new SteppedClock();
  const flight = new SimulatedFlight(spec, 0);
  const barometer = new SimulatedBarometer({ clock, flight, profile: options.profile ?? CHIP_PROFILES.BMP280, ambientNoisePa: options.ambientNoisePa, seed: spec.seed });
  const altimeter = new Altimeter({ open: () => barometer, clock, kalman: options.kalman });
  const monitor = new EmergencyMonitor(config);
  const events: FlightEvent[] = [];
  const raised: string[] = [];
  const qualities = { ok: 0, degraded: 0, fault: 0 };
  let fastSinceS = -1;
  let rapidDescentDueS = -1;
  let worst = 0;
  let squares = 0;
  let counted = 0;
  let endS = Infinity;
  let heardAfterImpactS = -1;
  for (clock.nowMs = intervalMs; clock.nowMs <= maxS * 1000; clock.nowMs += intervalMs) {
    const nowS = clock.nowMs / 1000;
    const reading = altimeter.read();
    const truth = flight.at(clock.nowMs);
    qualities[reading.quality]++;
    if (heardAfterImpactS < 0 && flight.impactAtS >= 0 && reading.quality !== 'fault') heardAfterImpactS = nowS;
    for (const change of monitor.update(reading)) {
      events.push({ atS: nowS, kind: change.kind, active: change.active });
      if (change.active && !raised.includes(change.kind)) raised.push(change.kind);
    }
    // The truth side: when could rapid-descent first have been raised?
    if (truth.verticalSpeedMps < -config.rapidDescentMps) {
      if (fastSinceS < 0) fastSinceS = nowS;
      if (rapidDescentDueS < 0 && nowS - fastSinceS >= config.rapidDescentForS) rapidDescentDueS = nowS;
    } else {
      fastSinceS = -1;
    }
    const settlingAfter = (eventS: number) => eventS >= 0 && nowS - eventS < 2.5 * (intervalMs / 1000);
    if (reading.quality === 'ok' && !settlingAfter(flight.failedAtS) && !settlingAfter(flight.impactAtS)) {
      const error = reading.verticalSpeedMps - truth.verticalSpeedMps;
      worst = Math.max(worst, Math.abs(error));
      squares += error * error;
      counted++;
    }
    if (endS === Infinity && (flight.pilot.finished || flight.impactAtS >= 0)) endS = nowS + afterS;
    if (nowS >= endS) break;
  }
  return {
    name: spec.name,
    events,
    raised,
    failedAtS: flight.failedAtS,
    impactAtS: flight.impactAtS,
    impactSpeedMps: flight.impactSpeedMps,
    heardAfterImpactS,
    rapidDescentDueS,
    worstSpeedErrorMps: worst,
    rmsSpeedErrorMps: Math.sqrt(squares / Math.max(counted, 1)),
    qualities,
    flownS: clock.nowMs / 1000,
  };
}
