// The simulated pilot: flies a plan of legs with the only controls a balloon has, the burner (on or
// off, in blasts) and the parachute vent. Like a real pilot it steers the envelope temperature, not
// the balloon: it works out the temperature at which lift, weight and drag balance at the vertical
// speed it wants, then burns while the envelope is cooler than that and vents when it is much hotter.
// The balloon's five tonnes of inertia and the envelope's slow heating do the rest, which is why the
// flights it produces wander and overshoot a little, as real ones do.
//
// It can also be taken over live (the desktop simulator's panel): burner and vent forced on or off,
// or a new altitude to hold.
import { Balloon, type Controls } from './balloon';

export type Leg =
  /** On the ground with the envelope hot but not quite light enough to lift off (inflation, a wait). */
  | { kind: 'ground'; phase: string; forS: number }
  /** Climb at `rateMps` to `toM` above the launch site. */
  | { kind: 'climb'; phase: string; rateMps: number; toM: number }
  /** Level flight at `atM` (default: where the leg starts) for `forS`. */
  | { kind: 'hold'; phase: string; forS: number; atM?: number }
  /** Descend at `rateMps` until `aboveGroundM` above what is below (ground or treetops) or down to `toM`. */
  | { kind: 'descend'; phase: string; rateMps: number; aboveGroundM?: number; toM?: number }
  /** No burner, vent open: the fastest descent an intact balloon makes, down to `toM`. */
  | { kind: 'vent'; phase: string; toM: number }
  /** Burn without pause until the descent has stopped (a gradual arrest), then level off. */
  | { kind: 'arrest'; phase: string }
  /** Final approach at `rateMps` until the basket touches; then the pilot opens the vent and deflates. */
  | { kind: 'land'; phase: string; rateMps: number };

/** How fast the pilot wants the vertical speed to settle on its target (s). */
const RESPONSE_S = 25;
/** How quickly the pilot closes a height error while holding an altitude (s), and the fastest it corrects (m/s). */
const HOLD_S = 40;
const HOLD_MAX_MPS = 1;
/** Slowest a pilot comes down while descending to a height (m/s): nobody creeps down for minutes. */
const MIN_DESCENT_MPS = 0.5;
/** A blast lasts at least this long (s): a pilot opens the blast valve for seconds, not instants. */
const MIN_BLAST_S = 4;
/** Temperature margins (K): burn below target − this, stop above target + this, vent above target + VENT. */
const BURN_MARGIN_K = 1.5;
const VENT_MARGIN_K = 6;

export class Pilot {
  readonly plan: Leg[];
  #leg = 0;
  #legStartS = 0;
  #holdM: number | undefined;
  #blastUntilS = -1;
  #landed = false;
  /** Live override (the simulator panel): forced controls, or a height to hold instead of the plan. */
  forced: Partial<Controls> | undefined;
  holdOverrideM: number | undefined;
  readonly controls: Controls = { burner: false, vent: false };

  constructor(plan: Leg[]) {
    this.plan = plan;
  }

  get phase(): string {
    if (this.holdOverrideM !== undefined) return 'manual hold';
    if (this.#landed) return 'landed';
    return this.plan[Math.min(this.#leg, this.plan.length - 1)].phase;
  }

  get finished(): boolean {
    return this.#landed;
  }

  /** Decides the controls for the next model step. */
  fly(balloon: Balloon, groundM: number, treesM: number): Controls {
    const controls = this.controls;
    const nowS = balloon.timeS;
    if (this.holdOverrideM !== undefined) {
      this.#steer(balloon, this.#holdSpeed(balloon, this.holdOverrideM));
    } else if (this.#landed) {
      controls.burner = false;
      controls.vent = true; // deflating: the envelope comes down and stays down
    } else {
      this.#followPlan(balloon, groundM, treesM, nowS);
    }
    if (this.forced?.burner !== undefined) controls.burner = this.forced.burner;
    if (this.forced?.vent !== undefined) controls.vent = this.forced.vent;
    return controls;
  }

  #followPlan(balloon: Balloon, groundM: number, treesM: number, nowS: number): void {
    const leg = this.plan[this.#leg];
    if (!leg) {
      this.#steer(balloon, this.#holdSpeed(balloon, this.#holdM ?? balloon.heightM));
      return;
    }
    const height = balloon.heightM;
    const clearance = height - groundM - treesM;
    switch (leg.kind) {
      case 'ground':
        this.#steerForce(balloon, -0.02 * balloon.spec.grossMassKg * 9.8); // hot, but 2 % heavy
        if (nowS - this.#legStartS >= leg.forS) this.#next(nowS, height);
        return;
      case 'climb':
        this.#steer(balloon, Math.min(leg.rateMps, Math.max(0.3, (leg.toM - height) / HOLD_S)));
        if (height >= leg.toM - 2) this.#next(nowS, height);
        return;
      case 'hold':
        if (leg.atM !== undefined) this.#holdM = leg.atM;
        this.#steer(balloon, this.#holdSpeed(balloon, this.#holdM ?? height));
        if (nowS - this.#legStartS >= leg.forS) this.#next(nowS, height);
        return;
      case 'descend': {
        // Like a pilot, level off early: the balloon needs tens of seconds to stop a descent.
        const left = Math.min(leg.aboveGroundM === undefined ? Infinity : clearance - leg.aboveGroundM, leg.toM === undefined ? Infinity : height - leg.toM);
        this.#steer(balloon, -Math.min(leg.rateMps, Math.max(MIN_DESCENT_MPS, left / HOLD_S)));
        if (left <= 1) this.#next(nowS, height);
        return;
      }
      case 'vent':
        this.controls.burner = false;
        this.controls.vent = true;
        if (height <= leg.toM) this.#next(nowS, height);
        return;
      case 'arrest':
        this.controls.burner = true;
        this.controls.vent = false;
        if (balloon.verticalSpeedMps >= -0.2) this.#next(nowS, height);
        return;
      case 'land':
        if (balloon.contact !== 'airborne') {
          this.#landed = true;
          this.controls.burner = false;
          this.controls.vent = true;
          return;
        }
        this.#steer(balloon, -leg.rateMps);
        return;
    }
  }

  /** On to the next leg (holding where the last one ended, if it holds). */
  #next(nowS: number, heightM: number): void {
    this.#leg++;
    this.#legStartS = nowS;
    this.#holdM = heightM;
  }

  #holdSpeed(balloon: Balloon, targetM: number): number {
    return Math.max(-HOLD_MAX_MPS, Math.min(HOLD_MAX_MPS, (targetM - balloon.heightM) / HOLD_S));
  }

  /** Steers towards vertical speed `wantedMps`: the force that holds it against drag, plus what changes it. */
  #steer(balloon: Balloon, wantedMps: number): void {
    const air = balloon.air;
    const dragN = 0.5 * air.densityKgM3 * balloon.dragAreaM2 * wantedMps * Math.abs(wantedMps);
    const changeN = (balloon.inertiaKg * (wantedMps - balloon.verticalSpeedMps)) / RESPONSE_S;
    this.#steerForce(balloon, dragN + changeN);
  }

  /** Burner and vent towards the envelope temperature at which lift minus weight is `forceN`. */
  #steerForce(balloon: Balloon, forceN: number): void {
    const target = Math.min(balloon.envelopeKFor(forceN), balloon.spec.maxEnvelopeK);
    const t = balloon.envelopeK;
    const nowS = balloon.timeS;
    const controls = this.controls;
    if (controls.burner) {
      controls.burner = nowS < this.#blastUntilS || t < target + BURN_MARGIN_K;
    } else if (t < target - BURN_MARGIN_K) {
      controls.burner = true;
      this.#blastUntilS = nowS + MIN_BLAST_S;
    }
    controls.vent = !controls.burner && t > target + (controls.vent ? 1 : VENT_MARGIN_K);
  }
}
