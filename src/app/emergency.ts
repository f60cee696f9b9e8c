// Emergency rules. Each kind is raised once when its condition has held long enough, stays active
// (retained on the broker) while it lasts, and clears only after the condition has been gone for
// `clearAfterS`: noise around a threshold cannot make it flap. The rules use only what a barometer
// knows: height above the reference (the launch site, or sea level after a QNH), and motion. They
// do not know the ground below, so none of them depends on the launch site's height.
//
//   rapid-descent  descending faster than rapidDescentMps for rapidDescentForS. An intact balloon
//                  descends at 1–3 m/s, at most 8–10 m/s with the envelope vented cold (its drag then
//                  carries the whole weight); a failed envelope falls at 10–30 m/s.
//   crash          an abrupt stop after a fast descent, at any height. A fall is a reading faster
//                  than crashDescentMps; a stop is |vs| < crashStopMps held for two seconds. The stop
//                  is a crash when (1) it was abrupt: the least deceleration that could have taken
//                  the balloon from the last fast reading to the stop — by the time it took, v/Δt,
//                  and by the height it took, v²/(2·Δh) — is at least crashDecelerationMps2, twice
//                  the ~0.5 m/s² a burner can give (flight-limits.ts): the ground, trees or a roof did
//                  it; and (2) the fall did not revert: the stop is below where the fall began by at
//                  least half the height any body needs to reach the fall's peak speed, v²/(2g). A
//                  spike reverts, a fall does not, so one fast reading is enough and a fall of two
//                  seconds onto the ground from 20 m is a crash. A fall waits for its stop for
//                  crashWindowS, or as long as a burner would need to arrest it (v / 0.5 m/s²) if that
//                  is longer: a sensor silent through the impact comes back to a balloon at rest,
//                  which by the height test only an impact explains. A gradual arrest in the air is
//                  not a crash. It stays active until the balloon flies again (climbs
//                  crashClearClimbM above the stop).
//   low-altitude   flying low: between 3 m and lowAltitudeM above the launch site for lowAltitudeForS
//                  since the vertical speed turned back the other way (faster than 0.2 m/s, for five
//                  readings). A climb-out or a final approach, however slow, keeps going one way and
//                  never starts the clock. A balloon at rest — its altitude unmoved for 20 s, on the
//                  ground or in trees, wherever they are — is not flying at all. Below the launch
//                  site's height it is not judged: the ground there is lower still, and the barometer
//                  cannot tell how much.
//   sensor-fault   no trustworthy reading for sensorFaultForS
import type { AltitudeReading } from '../sensor/altimeter';
import { MAX_LIFT_ACCELERATION_MPS2, STANDARD_GRAVITY } from '../sensor/flight-limits';
import type { EmergencyConfig } from './config';

export type EmergencyKind = 'crash' | 'rapid-descent' | 'low-altitude' | 'sensor-fault';
export const EMERGENCY_KINDS: EmergencyKind[] = ['crash', 'rapid-descent', 'low-altitude', 'sensor-fault'];

export interface EmergencyChange {
  kind: EmergencyKind;
  active: boolean;
  /** What happened, in words for the people who receive it. */
  message: string;
}

/** Below this height above the launch site a balloon is on (or at) the launch site's level. */
const GROUND_M = 3;
/**
 * At rest (see #atRest): over REST_S seconds the altitude's halves agree within REST_SHIFT_M and it
 * spans less than REST_SPAN_M. A landed basket moves only by the sensor's noise (centimetres, a few
 * decimetres in gusty air); a balloon turning round in the air (at 0.02 m/s² or more under its
 * burner) bends its path by well over a metre in that time.
 */
const REST_S = 20;
const REST_SHIFT_M = 0.5;
const REST_SPAN_M = 1;
/** A turn back means moving the other way, faster than 0.2 m/s for 5 readings in a row: noise
 *  can make one reading look like that, not five. */
const TURN_MPS = 0.2;
const TURN_READINGS = 5;
/** A stop holds at least this long (s). */
const STOP_FOR_S = 2;

class Condition {
  since = -1;
  clearSince = -1;
  active = false;
  /** Feeds whether the condition holds now; returns 'raise' / 'clear' when the state changes. */
  update(holds: boolean, nowS: number, raiseAfterS: number, clearAfterS: number): 'raise' | 'clear' | undefined {
    if (holds) {
      this.clearSince = -1;
      if (this.since < 0) this.since = nowS;
      if (!this.active && nowS - this.since >= raiseAfterS) {
        this.active = true;
        return 'raise';
      }
    } else {
      this.since = -1;
      if (this.active) {
        if (this.clearSince < 0) this.clearSince = nowS;
        if (nowS - this.clearSince >= clearAfterS) {
          this.active = false;
          return 'clear';
        }
      }
    }
    return undefined;
  }
}

export class EmergencyMonitor {
  #config: EmergencyConfig;
  readonly #conditions: Record<EmergencyKind, Condition> = {
    crash: new Condition(),
    'rapid-descent': new Condition(),
    'low-altitude': new Condition(),
    'sensor-fault': new Condition(),
  };
  // crash: the last reading before the fall (where it began), the fall's last fast reading and its
  // peak, when the fall was last seen (or could not be seen: fault readings), and the stop after it
  #beforeFallM = NaN;
  #beforeFallMps = 0;
  #fallTopM = 0;
  #fallTopMps = 0;
  #fallLastS = -Infinity;
  #fallLastM = 0;
  #fallLastMps = 0;
  #fallPeakMps = 0;
  #stopSinceS = -1;
  #stopDecelerationMps2 = 0;
  #crashAltitudeM = 0;
  // low-altitude: an altitude a second for the last REST_S seconds (at rest?), the direction low
  // flight began in (undefined: not low), and when it turned back (-1: not yet)
  readonly #restWindow = new Float64Array(REST_S);
  #restNext = 0;
  #restCount = 0;
  #restLastS = 0;
  #resting = false;
  #lowUp: boolean | undefined;
  #lowSinceS = -1;
  #turning = 0;

  constructor(config: EmergencyConfig) {
    this.#config = config;
  }

  configure(config: EmergencyConfig): void {
    this.#config = config;
  }

  isActive(kind: EmergencyKind): boolean {
    return this.#conditions[kind].active;
  }

  get active(): EmergencyKind[] {
    return EMERGENCY_KINDS.filter((kind) => this.#conditions[kind].active);
  }

  readonly #changes: EmergencyChange[] = [];

  /**
   * Feeds one reading; returns the emergencies raised or cleared by it (usually none). The array is
   * reused by the next call, and nothing is allocated unless something changes.
   */
  update(reading: AltitudeReading): EmergencyChange[] {
    const c = this.#config;
    const nowS = reading.timestampMs / 1000;
    this.#changes.length = 0;
    const fault = reading.quality === 'fault';
    this.#note('sensor-fault', this.#conditions['sensor-fault'].update(fault, nowS, c.sensorFaultForS, c.clearAfterS), reading);
    if (fault) return this.#changes; // the other rules need numbers

    const alt = reading.altitudeM;
    const vs = reading.verticalSpeedMps;
    this.#note('rapid-descent', this.#conditions['rapid-descent'].update(vs < -c.rapidDescentMps, nowS, c.rapidDescentForS, c.clearAfterS), reading);
    this.#note('crash', this.#crash(nowS, alt, vs), reading);
    this.#note('low-altitude', this.#lowAltitude(nowS, alt, vs), reading);
    return this.#changes;
  }

  #crash(nowS: number, alt: number, vs: number): 'raise' | 'clear' | undefined {
    const c = this.#config;
    const crash = this.#conditions.crash;
    if (crash.active) return crash.update(alt < this.#crashAltitudeM + c.crashClearClimbM, nowS, 0, c.clearAfterS);
    if (vs < -c.crashDescentMps) {
      if (!this.#fallOpen(nowS)) {
        // A new fall: it began where the last reading before it was.
        this.#fallTopM = this.#beforeFallM === this.#beforeFallM ? this.#beforeFallM : alt;
        this.#fallTopMps = this.#beforeFallMps;
        this.#fallPeakMps = 0;
      }
      this.#fallLastS = nowS;
      this.#fallLastM = alt;
      this.#fallLastMps = -vs;
      this.#fallPeakMps = Math.max(this.#fallPeakMps, -vs);
      this.#stopSinceS = -1;
      this.#stopDecelerationMps2 = 0; // still falling: any stop is yet to come
      return undefined;
    }
    if (!this.#fallOpen(nowS)) {
      this.#fallLastS = -Infinity;
      this.#stopSinceS = -1;
      this.#beforeFallM = alt;
      this.#beforeFallMps = Math.max(0, -vs);
      return undefined;
    }
    if (Math.abs(vs) >= c.crashStopMps) {
      this.#stopSinceS = -1;
      return undefined;
    }
    if (this.#stopSinceS < 0) {
      // A reading of a stop after the fall: the least deceleration that stops it by now and here.
      // (The hardest count: sensor noise on a wreck can interrupt the stop, but cannot make a gradual
      // arrest look abrupt.)
      this.#stopSinceS = nowS;
      const lost = this.#fallLastMps - Math.abs(vs);
      const droppedM = this.#fallLastM - alt;
      const byTime = lost / Math.max(nowS - this.#fallLastS, 1e-3);
      const byHeight = droppedM > 0 ? (this.#fallLastMps ** 2 - vs * vs) / (2 * droppedM) : 0;
      const deceleration = Math.max(byTime, byHeight);
      if (deceleration > this.#stopDecelerationMps2) {
        this.#stopDecelerationMps2 = deceleration;
        this.#crashAltitudeM = alt;
      }
    }
    if (nowS - this.#stopSinceS < STOP_FOR_S) return undefined;
    this.#fallLastS = -Infinity; // this stop settles that fall, whichever way
    this.#stopSinceS = -1;
    this.#beforeFallM = alt;
    this.#beforeFallMps = 0;
    const abrupt = this.#stopDecelerationMps2 >= c.crashDecelerationMps2;
    // A spike reverts, a fall does not: the wreck lies at least half the height any body needs to
    // reach the fall's peak speed below where the fall began.
    const needM = 0.5 * ((this.#fallPeakMps ** 2 - this.#fallTopMps ** 2) / (2 * STANDARD_GRAVITY));
    const fell = this.#fallTopM - alt >= needM;
    return abrupt && fell ? crash.update(true, nowS, 0, c.clearAfterS) : undefined;
  }

  /**
   * Is a fall still waiting for its stop? For crashWindowS after its last fast reading, or, if that is
   * longer, for as long as a burner would need to arrest it (v / 0.5 m/s²): a sensor silent through
   * the impact comes back within that time to a balloon at rest, which only an impact explains.
   */
  #fallOpen(nowS: number): boolean {
    return nowS - this.#fallLastS <= Math.max(this.#config.crashWindowS, this.#fallLastMps / MAX_LIFT_ACCELERATION_MPS2);
  }

  #lowAltitude(nowS: number, alt: number, vs: number): 'raise' | 'clear' | undefined {
    const c = this.#config;
    const low = this.#conditions['low-altitude'];
    const resting = this.#atRest(nowS, alt); // fed every reading, in the band or not
    const inBand = alt >= GROUND_M && alt < c.lowAltitudeM && !resting;
    if (!inBand) {
      this.#lowUp = undefined;
      return low.update(false, nowS, 0, c.clearAfterS);
    }
    // Flying along low is level on average: the vertical speed turns back, clearly, the other way.
    // Until it has, the balloon is on its way somewhere (a climb-out, a final approach however slow)
    // and the clock does not run.
    if (this.#lowUp === undefined) {
      this.#lowUp = vs > 0;
      this.#lowSinceS = -1;
      this.#turning = 0;
    } else if (this.#lowSinceS < 0) {
      this.#turning = (this.#lowUp ? vs < -TURN_MPS : vs > TURN_MPS) ? this.#turning + 1 : 0;
      if (this.#turning >= TURN_READINGS) this.#lowSinceS = nowS;
    }
    const flyingLow = this.#lowSinceS >= 0 && nowS - this.#lowSinceS >= c.lowAltitudeForS;
    return low.update(low.active || flyingLow, nowS, 0, c.clearAfterS);
  }

  /**
   * At rest: over the last REST_S seconds (one altitude a second) the altitude has not moved (the
   * means of the two halves agree within REST_SHIFT_M) nor bent (it spans less than REST_SPAN_M).
   * Averages, so sensor noise of a few pascals does not break it; a balloon turning round in the air
   * bends its path by more.
   */
  #atRest(nowS: number, alt: number): boolean {
    const window = this.#restWindow;
    const n = window.length;
    if (this.#restCount > 0 && nowS - this.#restLastS < 1) return this.#resting; // faster sampling: one a second is enough
    this.#restLastS = nowS;
    window[this.#restNext] = alt;
    this.#restNext = (this.#restNext + 1) % n;
    if (this.#restCount < n) {
      this.#restCount++;
      return (this.#resting = false);
    }
    let older = 0;
    let newer = 0;
    let lowest = Infinity;
    let highest = -Infinity;
    for (let i = 0; i < n; i++) {
      const value = window[(this.#restNext + i) % n];
      if (i < n / 2) older += value;
      else newer += value;
      if (value < lowest) lowest = value;
      if (value > highest) highest = value;
    }
    return (this.#resting = Math.abs(newer - older) / (n / 2) < REST_SHIFT_M && highest - lowest < REST_SPAN_M);
  }

  #note(kind: EmergencyKind, change: 'raise' | 'clear' | undefined, r: AltitudeReading): void {
    if (!change) return;
    if (change === 'clear') {
      this.#changes.push({ kind, active: false, message: `${kind} cleared` });
      return;
    }
    const c = this.#config;
    const alt = (Math.round(r.altitudeM) || 0).toFixed(0); // (no "-0")
    const message =
      kind === 'sensor-fault'
        ? `no trustworthy altitude for ${c.sensorFaultForS} s: ${r.faultMessage}`
        : kind === 'rapid-descent'
          ? `descending at ${(-r.verticalSpeedMps).toFixed(1)} m/s (limit ${c.rapidDescentMps} m/s) at ${alt} m`
          : kind === 'low-altitude'
            ? `flying at ${alt} m, below the ${c.lowAltitudeM} m floor, for ${c.lowAltitudeForS} s`
            : `impact: a fall at ${this.#fallPeakMps.toFixed(0)} m/s stopped at ${alt} m with at least ${this.#stopDecelerationMps2.toFixed(1)} m/s², beyond the ${MAX_LIFT_ACCELERATION_MPS2} m/s² a burner can give`;
    this.#changes.push({ kind, active: true, message });
  }
}
