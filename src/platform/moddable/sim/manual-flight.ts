// A balloon flown by hand from the simulator's panel. The pilot takes it to the target altitude the
// panel's slider sets, the way a pilot works the burner: vertical speed changes slowly (the air in
// the envelope heats and cools over seconds), climbs are at most 5 m/s, and the balloon slows down
// before the target so as not to overshoot it. The envelope can fail: the hot air escapes through
// the tear, the lift falls away over a few seconds and the fabric drags like a poor parachute, so
// the balloon falls towards about 15 m/s (DESIGN: 10–30 m/s with a failed envelope) until it hits
// the ground, where it stays.
//
// Or the developer works the burner: while the pane's burner button is held the air in the envelope
// heats and its lift grows (up to the burner's authority, 0.5 m/s² over weight:
// src/sensor/flight-limits.ts); released, the air cools and the lift sinks back towards a gentle
// descent. Drag against the motion limits the climb to 5 m/s at full heat. Moving the slider hands
// the balloon back to the target pilot.

/** Where the balloon is (the returned object is reused). */
export interface ManualFlightState {
  /** Height above the launch site (m). */
  altitudeM: number;
  verticalSpeedMps: number;
  phase: string;
}

const MAX_CLIMB_MPS = 5; // a brisk climb, about 1,000 ft/min
const MAX_DESCENT_MPS = 4; // a deliberate, fast descent
const RESPONSE_MPS2 = 0.5; // the fastest change of vertical speed the burner (or cooling) gives
const BRAKING_MPS2 = 0.4; // how hard the pilot slows down for the target: arrives without overshoot
const FINAL_APPROACH_S = 2; // within a few metres the pilot closes the gap in about this time
const TOUCHDOWN_MPS = 0.3; // the gentle sink of a landing: the basket meets the ground
/** Downward acceleration just after the envelope fails, and the speed its drag limits the fall to. */
const FAILURE_ACCELERATION_MPS2 = 2.5;
const FAILURE_TERMINAL_MPS = 15;
const STEP_MS = 100;
/** The burner: lift gained per second of burning, up to the burner's authority. */
const HEATING_MPS2_PER_S = 0.05;
const MAX_LIFT_MPS2 = RESPONSE_MPS2;
/** Unheated, the air cools towards a lift that sinks the balloon at about 2 m/s, over this time. */
const COOLED_LIFT_MPS2 = -0.08;
const COOLING_S = 60;
/** Quadratic drag: at full heat the climb settles at MAX_CLIMB_MPS. */
const DRAG_PER_M = MAX_LIFT_MPS2 / (MAX_CLIMB_MPS * MAX_CLIMB_MPS);

export class ManualFlight {
  readonly startMs: number;
  #targetM: number;
  #envelopeFailed = false;
  /** Flown with the burner (true) or by the target pilot (false). */
  #byBurner = false;
  #burning = false;
  /** Lift over weight from the envelope's heat (m/s²), when flown with the burner. */
  #liftMps2 = 0;
  #nowMs: number;
  #altitudeM: number;
  #verticalSpeedMps: number;
  readonly #state: ManualFlightState = { altitudeM: 0, verticalSpeedMps: 0, phase: "" };

  /** Takes over at `nowMs` from where the balloon is (no jump when switching from a scenario). */
  constructor(nowMs: number, from: { altitudeM: number; verticalSpeedMps: number }) {
    this.startMs = nowMs;
    this.#nowMs = nowMs;
    this.#altitudeM = Math.max(0, from.altitudeM);
    this.#verticalSpeedMps = this.#altitudeM > 0 ? from.verticalSpeedMps : 0;
    this.#targetM = this.#altitudeM;
  }

  get targetM(): number {
    return this.#targetM;
  }

  get envelopeFailed(): boolean {
    return this.#envelopeFailed;
  }

  get burning(): boolean {
    return this.#burning;
  }

  /** The pilot heads for `altitudeM` from now on. */
  setTarget(altitudeM: number, nowMs: number): void {
    this.at(nowMs);
    this.#targetM = altitudeM;
    this.#byBurner = false;
    this.#burning = false;
  }

  /** The burner on (held) or off (released). The first use takes over from the target pilot, with the lift that holds the balloon's speed. */
  setBurner(on: boolean, nowMs: number): void {
    this.at(nowMs);
    if (!this.#byBurner) {
      if (!on) return; // a release with nothing burning leaves the target pilot flying
      const v = this.#verticalSpeedMps;
      this.#liftMps2 = this.#altitudeM > 0 ? DRAG_PER_M * v * Math.abs(v) : 0;
      this.#byBurner = true;
    }
    this.#burning = on;
  }

  /** The envelope tears now. */
  failEnvelope(nowMs: number): void {
    this.at(nowMs);
    this.#envelopeFailed = true;
  }

  at(nowMs: number): ManualFlightState {
    while (this.#nowMs + STEP_MS <= nowMs) {
      this.#step(STEP_MS / 1000);
      this.#nowMs += STEP_MS;
    }
    const state = this.#state;
    state.altitudeM = this.#altitudeM;
    state.verticalSpeedMps = this.#verticalSpeedMps;
    state.phase = this.#phase();
    return state;
  }

  #step(dtS: number): void {
    let v = this.#verticalSpeedMps;
    if (this.#envelopeFailed) {
      if (this.#altitudeM <= 0) return; // on the ground for good
      // Weight less what lift remains, and drag against the motion: v tends to -FAILURE_TERMINAL_MPS.
      const drag = (FAILURE_ACCELERATION_MPS2 / (FAILURE_TERMINAL_MPS * FAILURE_TERMINAL_MPS)) * v * Math.abs(v);
      v += (-FAILURE_ACCELERATION_MPS2 - drag) * dtS;
    } else if (this.#byBurner) {
      if (this.#burning) this.#liftMps2 = Math.min(MAX_LIFT_MPS2, this.#liftMps2 + HEATING_MPS2_PER_S * dtS);
      else this.#liftMps2 += ((COOLED_LIFT_MPS2 - this.#liftMps2) * dtS) / COOLING_S;
      v += (this.#liftMps2 - DRAG_PER_M * v * Math.abs(v)) * dtS;
    } else {
      const gapM = this.#targetM - this.#altitudeM;
      const distanceM = Math.abs(gapM);
      let speed = Math.min(Math.sqrt(2 * BRAKING_MPS2 * distanceM), distanceM / FINAL_APPROACH_S);
      if (this.#targetM <= 0 && this.#altitudeM > 0) speed = Math.max(speed, TOUCHDOWN_MPS);
      const wanted = gapM >= 0 ? Math.min(MAX_CLIMB_MPS, speed) : -Math.min(MAX_DESCENT_MPS, speed);
      const change = Math.max(-RESPONSE_MPS2 * dtS, Math.min(RESPONSE_MPS2 * dtS, wanted - v));
      v += change;
    }
    let h = this.#altitudeM + v * dtS;
    if (h <= 0) {
      h = 0;
      v = 0; // the basket is on the ground (or has hit it)
    }
    this.#altitudeM = h;
    this.#verticalSpeedMps = v;
  }

  #phase(): string {
    if (this.#envelopeFailed) return this.#altitudeM > 0 ? "envelope failure" : "crashed";
    if (this.#byBurner) {
      if (this.#burning) return "burner on";
      if (this.#altitudeM <= 0) return "on the ground";
      return this.#verticalSpeedMps > 0.2 ? "climbing" : this.#verticalSpeedMps < -0.2 ? "descending" : "floating";
    }
    if (this.#altitudeM <= 0 && this.#targetM <= 0) return "on the ground";
    if (Math.abs(this.#targetM - this.#altitudeM) < 1 && Math.abs(this.#verticalSpeedMps) < 0.2) return "holding";
    return this.#targetM > this.#altitudeM ? "climbing" : "descending";
  }
}
