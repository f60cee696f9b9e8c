// Emergency rules. Each kind is raised once when its condition has held long enough, stays active
// (retained on the broker) while it lasts, and clears only after the condition has been gone for
// `clearAfterS`: noise around a threshold cannot make it flap.
//
//   rapid-descent  descending faster than rapidDescentMps for rapidDescentForS
//   low-altitude   airborne, below lowAltitudeM and not descending (level or climbing low over the
//                  ground: wires, trees) for lowAltitudeForS. A landing approach descends, so a
//                  normal landing does not raise it; on the ground (< 3 m, still) the rule is off.
//   crash          a descent faster than crashDescentMps followed, within crashWindowS, by a stop
//                  (|vs| < crashStopMps) below crashNearGroundM. It clears only when the balloon is
//                  flying again (above crashNearGroundM): someone has to go and look.
//   sensor-fault   no trustworthy reading for sensorFaultForS
import type { AltitudeReading } from '../sensor/altimeter';
import type { EmergencyConfig } from './config';

export type EmergencyKind = 'crash' | 'rapid-descent' | 'low-altitude' | 'sensor-fault';
export const EMERGENCY_KINDS: EmergencyKind[] = ['crash', 'rapid-descent', 'low-altitude', 'sensor-fault'];

export interface EmergencyChange {
  kind: EmergencyKind;
  active: boolean;
  /** What happened, in words for the people who receive it. */
  message: string;
}

const GROUND_M = 3;

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
  #lastFastDescentS = -Infinity;
  #airborne = false;

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
    if (alt > GROUND_M + 2) this.#airborne = true;
    if (alt < GROUND_M && Math.abs(vs) < 0.3) this.#airborne = false;
    if (vs < -c.crashDescentMps) this.#lastFastDescentS = nowS;

    this.#note('rapid-descent', this.#conditions['rapid-descent'].update(vs < -c.rapidDescentMps, nowS, c.rapidDescentForS, c.clearAfterS), reading);
    const low = this.#airborne && alt < c.lowAltitudeM && alt >= GROUND_M && vs > -0.2;
    this.#note('low-altitude', this.#conditions['low-altitude'].update(low, nowS, c.lowAltitudeForS, c.clearAfterS), reading);
    // A crash latches: it holds from the stop until the balloon flies again.
    const crash = this.#conditions.crash;
    const stoppedAfterFall = nowS - this.#lastFastDescentS <= c.crashWindowS && Math.abs(vs) < c.crashStopMps && alt < c.crashNearGroundM;
    this.#note('crash', crash.update(crash.active ? alt < c.crashNearGroundM : stoppedAfterFall, nowS, 0, c.clearAfterS), reading);
    return this.#changes;
  }

  #note(kind: EmergencyKind, change: 'raise' | 'clear' | undefined, r: AltitudeReading): void {
    if (!change) return;
    if (change === 'clear') {
      this.#changes.push({ kind, active: false, message: `${kind} cleared` });
      return;
    }
    const c = this.#config;
    const alt = r.altitudeM.toFixed(0);
    const message =
      kind === 'sensor-fault'
        ? `no trustworthy altitude for ${c.sensorFaultForS} s: ${r.faultMessage}`
        : kind === 'rapid-descent'
          ? `descending at ${(-r.verticalSpeedMps).toFixed(1)} m/s (limit ${c.rapidDescentMps} m/s) at ${alt} m`
          : kind === 'low-altitude'
            ? `flying at ${alt} m, below the ${c.lowAltitudeM} m floor, for ${c.lowAltitudeForS} s`
            : `impact: a fall faster than ${c.crashDescentMps} m/s ended in a stop at ${alt} m`;
    this.#changes.push({ kind, active: true, message });
  }
}
