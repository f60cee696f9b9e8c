// A Kalman filter for altitude, vertical speed and vertical acceleration, x = [h, v, a], with the
// measurement z = h + noise (variance r). It runs in one of two modes:
//
//   steady       a balloon under its burner: a is held at 0 and the vertical speed wanders as white-
//                noise acceleration of spectral density q (m²/s³), Q = q·[[dt³/3, dt²/2], [dt²/2, dt]].
//                q trades lag for smoothness (`processNoise` in the config).
//   manoeuvring  a fall, an arrest, an impact being confirmed: a is estimated too, and changes as
//                white-noise jerk of density J (m²/s⁵). A falling balloon's acceleration goes from up
//                to 1 g to 0 as drag builds, within 1–3 s (the collapsed envelope's drag time v_t/g):
//                J = 20 follows that.
//
// The estimator (vertical-estimator.ts) decides when to switch and anchors the state on measured
// samples; this file is only the arithmetic, written out in scalars: no matrices, no allocation.

export interface KalmanOptions {
  /** Spectral density of the vertical acceleration in steady flight (m²/s³). */
  processNoise: number;
  /** Standard deviation of one altitude measurement (m). */
  measurementNoiseM: number;
}

export const DEFAULT_KALMAN: KalmanOptions = { processNoise: 0.5, measurementNoiseM: 0.5 };

/** Jerk spectral density while manoeuvring (m²/s⁵), see above. */
const MANOEUVRE_JERK = 20;

/** The filter's state and covariance in one flat array (for snapshots that allocate nothing). */
export const STATE_SIZE = 10;

export class AltitudeKalman {
  altitudeM = 0;
  verticalSpeedMps = 0;
  accelerationMps2 = 0;
  initialized = false;
  manoeuvring = false;
  // covariance P (symmetric): p00 p01 p02 / p11 p12 / p22
  #p00 = 0;
  #p01 = 0;
  #p02 = 0;
  #p11 = 0;
  #p12 = 0;
  #p22 = 0;
  #q: number;
  #r: number;

  constructor(options: KalmanOptions = DEFAULT_KALMAN) {
    this.#q = options.processNoise;
    this.#r = options.measurementNoiseM * options.measurementNoiseM;
  }

  /** Variance of one measurement (m²). */
  get measurementVariance(): number {
    return this.#r;
  }

  get accelerationVariance(): number {
    return this.#p22;
  }

  tune(options: Partial<KalmanOptions>): void {
    if (options.processNoise !== undefined) this.#q = options.processNoise;
    if (options.measurementNoiseM !== undefined) this.#r = options.measurementNoiseM * options.measurementNoiseM;
  }

  /** Starts from a first measurement, with nothing known of the motion yet (the climb rate has a 5 m/s prior). */
  start(altitudeM: number): void {
    this.anchor(altitudeM, 0, 0, false, this.#r, 0, 0, 25, 0, 0);
  }

  /** Sets the state and covariance from measurements (a fit of the last samples). */
  anchor(h: number, v: number, a: number, manoeuvring: boolean, p00: number, p01: number, p02: number, p11: number, p12: number, p22: number): void {
    this.altitudeM = h;
    this.verticalSpeedMps = v;
    this.accelerationMps2 = manoeuvring ? a : 0;
    this.manoeuvring = manoeuvring;
    this.#p00 = p00;
    this.#p01 = p01;
    this.#p11 = p11;
    this.#p02 = manoeuvring ? p02 : 0;
    this.#p12 = manoeuvring ? p12 : 0;
    this.#p22 = manoeuvring ? p22 : 0;
    this.initialized = true;
  }

  /** Back to steady flight: the acceleration is dropped, the altitude and speed are kept. */
  settle(): void {
    this.manoeuvring = false;
    this.accelerationMps2 = 0;
    this.#p02 = 0;
    this.#p12 = 0;
    this.#p22 = 0;
  }

  /** Moves the estimate `dtS` seconds forward. */
  predict(dtS: number): void {
    if (!this.initialized || dtS <= 0) return;
    const dt = dtS;
    const dt2 = dt * dt;
    const a = this.accelerationMps2;
    this.altitudeM += this.verticalSpeedMps * dt + 0.5 * a * dt2;
    this.verticalSpeedMps += a * dt;
    // P ← F P Fᵀ, F = [[1, dt, dt²/2], [0, 1, dt], [0, 0, 1]]
    const p00 = this.#p00;
    const p01 = this.#p01;
    const p02 = this.#p02;
    const p11 = this.#p11;
    const p12 = this.#p12;
    const p22 = this.#p22;
    const h = 0.5 * dt2;
    let n00 = p00 + 2 * dt * p01 + 2 * h * p02 + dt2 * p11 + 2 * dt * h * p12 + h * h * p22;
    let n01 = p01 + dt * p11 + h * p12 + dt * p02 + dt2 * p12 + dt * h * p22;
    let n02 = p02 + dt * p12 + h * p22;
    let n11 = p11 + 2 * dt * p12 + dt2 * p22;
    let n12 = p12 + dt * p22;
    let n22 = p22;
    // + Q: white-noise acceleration (both modes) and white-noise jerk (manoeuvring)
    const q = this.#q;
    n00 += (q * dt2 * dt) / 3;
    n01 += (q * dt2) / 2;
    n11 += q * dt;
    if (this.manoeuvring) {
      const j = MANOEUVRE_JERK;
      n00 += (j * dt2 * dt2 * dt) / 20;
      n01 += (j * dt2 * dt2) / 8;
      n02 += (j * dt2 * dt) / 6;
      n11 += (j * dt2 * dt) / 3;
      n12 += (j * dt2) / 2;
      n22 += j * dt;
    }
    this.#p00 = n00;
    this.#p01 = n01;
    this.#p02 = n02;
    this.#p11 = n11;
    this.#p12 = n12;
    this.#p22 = n22;
  }

  /** Variance of the next measurement around the prediction (for gating). */
  get innovationVariance(): number {
    return this.#p00 + this.#r;
  }

  /** Folds in an altitude measurement. */
  update(measuredM: number): void {
    if (!this.initialized) {
      this.start(measuredM);
      return;
    }
    const s = this.#p00 + this.#r;
    const k0 = this.#p00 / s;
    const k1 = this.#p01 / s;
    const k2 = this.#p02 / s;
    const innovation = measuredM - this.altitudeM;
    this.altitudeM += k0 * innovation;
    this.verticalSpeedMps += k1 * innovation;
    if (this.manoeuvring) this.accelerationMps2 += k2 * innovation;
    const p00 = this.#p00;
    const p01 = this.#p01;
    const p02 = this.#p02;
    this.#p00 -= k0 * p00;
    this.#p01 -= k0 * p01;
    this.#p02 -= k0 * p02;
    this.#p11 -= k1 * p01;
    this.#p12 -= k1 * p02;
    this.#p22 -= k2 * p02;
  }

  /** Copies the whole state into `into` (STATE_SIZE numbers). */
  save(into: Float64Array): void {
    into[0] = this.altitudeM;
    into[1] = this.verticalSpeedMps;
    into[2] = this.accelerationMps2;
    into[3] = this.manoeuvring ? 1 : 0;
    into[4] = this.#p00;
    into[5] = this.#p01;
    into[6] = this.#p02;
    into[7] = this.#p11;
    into[8] = this.#p12;
    into[9] = this.#p22;
  }

  /** Restores a state saved with save(). */
  restore(from: Float64Array): void {
    this.anchor(from[0], from[1], from[2], from[3] === 1, from[4], from[5], from[6], from[7], from[8], from[9]);
  }
}
