// From altitude samples to altitude, vertical speed and a quality, the way physics allows:
//
//   1. Impossible: a reading further from the last estimate than free fall (or a dead stop) could
//      take the balloon in the time since, plus the noise, is refused at once ("degraded"): no
//      balloon did that, a bus glitch did.
//   2. Surprising: a reading the steady-flight filter did not expect (beyond 4σ of its prediction)
//      may be a spike or the start of a fall. It is believed provisionally: the estimate is fitted to
//      the last three samples, as a fall would need, and the state before it is kept.
//   3. The next reading decides, by consistency: a spike reverts (the reading is back where the
//      balloon was), so the estimate is rebuilt without it and that reading is marked degraded; a
//      fall does not revert, so the fit stands and the filter follows the fall, acceleration
//      included. Vertical speed is never set to 0: every re-anchoring takes the speed from samples.
//   4. Contact: a fit whose acceleration points up harder than a balloon's lift can push it
//      (flight-limits.ts) is not flight but a collision, which stops the basket: the speed is then
//      taken from the last two samples only (the line through them), not across the impact (a
//      parabola through a kink overshoots: it would show the wreck climbing).
//
// A reading that is surprising but consistent is "ok": a clean fall reads ok from its first sample.
// Fixed-size storage (three samples, two state snapshots): nothing allocated per sample.
import { MAX_LIFT_ACCELERATION_MPS2, STANDARD_GRAVITY } from './flight-limits';
import { AltitudeKalman, STATE_SIZE, type KalmanOptions } from './kalman';

/** How many standard deviations of its own prediction the filter accepts without surprise. */
const GATE_SIGMAS = 4;
/** Samples of small acceleration after which a manoeuvre is over and the filter steadies again. */
const STEADY_AFTER_SAMPLES = 3;
/** Consecutive impossible readings that are consistent with each other: the sensor is right after all. */
const BELIEVE_AFTER_SAMPLES = 3;

export type SampleVerdict = 'ok' | 'spike' | 'impossible';

export class VerticalEstimator {
  readonly kalman: AltitudeKalman;
  // The last three believed samples (oldest first), for re-anchoring.
  readonly #times = new Float64Array(3);
  readonly #values = new Float64Array(3);
  #count = 0;
  // Readings refused as impossible, in a row.
  readonly #refusedTimes = new Float64Array(3);
  readonly #refusedValues = new Float64Array(3);
  #refused = 0;
  #lastMs = 0;
  #previousDtS = 0;
  /** The filter as it was before the last sample, and before a surprising one (the hypothesis "it was a spike"). */
  readonly #before = new Float64Array(STATE_SIZE);
  readonly #beforeSurprise = new Float64Array(STATE_SIZE);
  #surpriseFromMs = 0;
  #pending = false;
  readonly #scratch: AltitudeKalman;
  #calm = 0;

  constructor(options: KalmanOptions) {
    this.kalman = new AltitudeKalman(options);
    this.#scratch = new AltitudeKalman(options);
  }

  /** False when the state is no longer a number (only after a bug): restart() then. */
  get healthy(): boolean {
    const k = this.kalman;
    return Number.isFinite(k.altitudeM) && Number.isFinite(k.verticalSpeedMps) && Number.isFinite(k.innovationVariance);
  }

  /** Starts again from the next sample, knowing nothing (only after a bug left the state unusable). */
  restart(): void {
    this.kalman.initialized = false;
    this.forgetSamples();
  }

  /** Forgets the samples (after a reference change: they were altitudes over another reference). */
  forgetSamples(): void {
    this.#count = 0;
    this.#refused = 0;
    this.#pending = false;
  }

  /** Shifts the estimate (a reference change moves every altitude by the same amount). */
  shift(byM: number): void {
    this.kalman.altitudeM += byM;
    this.forgetSamples();
  }

  /** Takes one altitude sample at `nowMs`; returns what it was judged to be. */
  push(nowMs: number, measuredM: number): SampleVerdict {
    const kalman = this.kalman;
    if (!kalman.initialized) {
      kalman.start(measuredM);
      this.#lastMs = nowMs;
      this.#remember(nowMs, measuredM);
      return 'ok';
    }
    const dtS = (nowMs - this.#lastMs) / 1000;
    kalman.save(this.#before);
    const fromM = kalman.altitudeM;
    const fromMps = kalman.verticalSpeedMps;
    kalman.predict(dtS);
    const sigma = Math.sqrt(kalman.innovationVariance);

    // 1. Where could the balloon be? Anywhere between free fall and a dead stop (or a bounce), plus
    // noise. A fall that began since the sample before may not show in the speed estimate yet (that
    // sample looked ordinary): it may already be up to g × that interval faster than estimated.
    const reach = STANDARD_GRAVITY * dtS * (0.5 * dtS + this.#previousDtS) + GATE_SIGMAS * sigma;
    const travel = fromMps * dtS;
    if (measuredM < fromM + Math.min(0, travel) - reach || measuredM > fromM + Math.max(0, travel) + reach) {
      return this.#refuse(nowMs, measuredM);
    }
    this.#refused = 0;
    this.#lastMs = nowMs;
    this.#previousDtS = dtS;

    if (this.#pending) {
      this.#pending = false;
      // 3. Did the balloon go back to where it was before the surprising reading? Then that was a spike.
      const scratch = this.#scratch;
      scratch.restore(this.#beforeSurprise);
      scratch.predict((nowMs - this.#surpriseFromMs) / 1000);
      if (Math.abs(measuredM - scratch.altitudeM) <= GATE_SIGMAS * Math.sqrt(scratch.innovationVariance)) {
        scratch.save(this.#before);
        kalman.restore(this.#before);
        kalman.update(measuredM);
        this.#values[this.#count - 1] = measuredM; // the spike leaves the samples
        this.#times[this.#count - 1] = nowMs;
        return 'spike';
      }
      // It did not revert: a real change of motion. The fit over the last three samples stands.
      this.#remember(nowMs, measuredM);
      this.#anchor();
      return 'ok';
    }

    this.#remember(nowMs, measuredM);
    if (Math.abs(measuredM - kalman.altitudeM) > GATE_SIGMAS * sigma) {
      // 2. Surprising: believe it provisionally, keep the other hypothesis.
      this.#pending = true;
      this.#beforeSurprise.set(this.#before);
      this.#surpriseFromMs = nowMs - dtS * 1000;
      this.#anchor();
      return 'ok';
    }
    kalman.update(measuredM);
    this.#steadyWhenCalm();
    return 'ok';
  }

  #remember(nowMs: number, measuredM: number): void {
    const times = this.#times;
    const values = this.#values;
    if (this.#count === 3) {
      times[0] = times[1];
      values[0] = values[1];
      times[1] = times[2];
      values[1] = values[2];
      this.#count = 2;
    }
    times[this.#count] = nowMs;
    values[this.#count] = measuredM;
    this.#count++;
  }

  /** An impossible reading: refused, unless the sensor keeps insisting, consistently, that the estimate is wrong. */
  #refuse(nowMs: number, measuredM: number): SampleVerdict {
    this.kalman.restore(this.#before); // not even the prediction moves: the next sample predicts from here
    const n = this.#refused < 3 ? this.#refused : 2;
    if (this.#refused >= 3) {
      this.#refusedTimes.copyWithin(0, 1);
      this.#refusedValues.copyWithin(0, 1);
    }
    this.#refusedTimes[n] = nowMs;
    this.#refusedValues[n] = measuredM;
    this.#refused++;
    if (this.#refused >= BELIEVE_AFTER_SAMPLES && this.#fitIsFlight(this.#refusedTimes, this.#refusedValues)) {
      // Three readings that agree with each other on a possible motion: believe them, from there.
      this.#times.set(this.#refusedTimes);
      this.#values.set(this.#refusedValues);
      this.#count = 3;
      this.#refused = 0;
      this.#pending = false;
      this.#lastMs = nowMs;
      this.#anchor();
      return 'ok';
    }
    return 'impossible';
  }

  #fitIsFlight(times: Float64Array, values: Float64Array): boolean {
    const fit = quadraticAtLast(times, values);
    return Math.abs(fit.a) <= STANDARD_GRAVITY + 3 * Math.sqrt(fit.aVariance * this.kalman.measurementVariance);
  }

  /** Re-anchors the filter on the remembered samples: speed (and acceleration) from the samples, never 0. */
  #anchor(): void {
    const kalman = this.kalman;
    const r = kalman.measurementVariance;
    const n = this.#count;
    const times = this.#times;
    const values = this.#values;
    this.#calm = 0;
    if (n >= 3) {
      const fit = quadraticAtLast(times, values);
      const aSigma = Math.sqrt(fit.aVariance * r);
      // Upward harder than lift can push is a contact; taken at face value (no noise margin), since
      // the line through the last two samples is also right for flight with noise on top.
      const flight = fit.a <= MAX_LIFT_ACCELERATION_MPS2 && fit.a >= -STANDARD_GRAVITY - 3 * aSigma;
      if (flight) {
        kalman.anchor(values[2], fit.v, fit.a, true, r, fit.hv * r, fit.ha * r, fit.vv * r, fit.va * r, fit.aVariance * r);
        return;
      }
    }
    if (n >= 2) {
      // A contact (or only two samples): the line through the last two.
      const span = (times[n - 1] - times[n - 2]) / 1000;
      kalman.anchor(values[n - 1], (values[n - 1] - values[n - 2]) / span, 0, false, r, r / span, 0, (2 * r) / (span * span), 0, 0);
      return;
    }
    kalman.start(values[0]);
  }

  /** A manoeuvre is over when the acceleration has been small (within what lift can do) for a few samples. */
  #steadyWhenCalm(): void {
    const kalman = this.kalman;
    if (!kalman.manoeuvring) return;
    const small = Math.max(MAX_LIFT_ACCELERATION_MPS2, 2 * Math.sqrt(kalman.accelerationVariance));
    this.#calm = Math.abs(kalman.accelerationMps2) < small ? this.#calm + 1 : 0;
    if (this.#calm >= STEADY_AFTER_SAMPLES) kalman.settle();
  }
}

interface QuadraticFit {
  v: number;
  a: number;
  /** Variances and covariances of the fit per unit measurement variance. */
  hv: number;
  ha: number;
  vv: number;
  va: number;
  aVariance: number;
}

const fit: QuadraticFit = { v: 0, a: 0, hv: 0, ha: 0, vv: 0, va: 0, aVariance: 0 };

/**
 * The parabola through three samples (times in ms, any spacing): speed and acceleration at the last
 * one, and how measurement noise propagates into them (Lagrange weights; the object is reused).
 */
export function quadraticAtLast(times: Float64Array, values: Float64Array): QuadraticFit {
  const t0 = times[0] / 1000;
  const t1 = times[1] / 1000;
  const t2 = times[2] / 1000;
  const d01 = t0 - t1;
  const d02 = t0 - t2;
  const d12 = t1 - t2;
  // weights of z0, z1, z2 in v(t2) and a
  const v0 = -d12 / (d01 * d02);
  const v1 = d02 / (d01 * d12);
  const v2 = (2 * t2 - t0 - t1) / (d02 * d12);
  const a0 = 2 / (d01 * d02);
  const a1 = -2 / (d01 * d12);
  const a2 = 2 / (d02 * d12);
  fit.v = v0 * values[0] + v1 * values[1] + v2 * values[2];
  fit.a = a0 * values[0] + a1 * values[1] + a2 * values[2];
  fit.hv = v2;
  fit.ha = a2;
  fit.vv = v0 * v0 + v1 * v1 + v2 * v2;
  fit.va = v0 * a0 + v1 * a1 + v2 * a2;
  fit.aVariance = a0 * a0 + a1 * a1 + a2 * a2;
  return fit;
}
