// A two-state Kalman filter for altitude and vertical speed, with the constant-velocity model
// driven by white-noise acceleration: x = [h, v], F = [[1, dt], [0, 1]],
// Q = q·[[dt³/3, dt²/2], [dt²/2, dt]], measurement z = h + noise (variance r).
// q (m²/s³) sets how quickly the filter believes the balloon changes its climb rate: larger follows
// manoeuvres faster, smaller smooths more. Written out in scalars: no matrices, no allocation.

export interface KalmanOptions {
  /** Spectral density of the vertical acceleration (m²/s³). */
  processNoise: number;
  /** Standard deviation of one altitude measurement (m). */
  measurementNoiseM: number;
}

export const DEFAULT_KALMAN: KalmanOptions = { processNoise: 0.5, measurementNoiseM: 0.5 };

export class AltitudeKalman {
  altitudeM = 0;
  verticalSpeedMps = 0;
  initialized = false;
  // covariance P = [[p00, p01], [p01, p11]]
  #p00 = 0;
  #p01 = 0;
  #p11 = 0;
  #q: number;
  #r: number;

  constructor(options: KalmanOptions = DEFAULT_KALMAN) {
    this.#q = options.processNoise;
    this.#r = options.measurementNoiseM * options.measurementNoiseM;
  }

  tune(options: Partial<KalmanOptions>): void {
    if (options.processNoise !== undefined) this.#q = options.processNoise;
    if (options.measurementNoiseM !== undefined) this.#r = options.measurementNoiseM * options.measurementNoiseM;
  }

  /** Starts again at a measured altitude, speed unknown. */
  reset(altitudeM: number): void {
    this.altitudeM = altitudeM;
    this.verticalSpeedMps = 0;
    this.#p00 = this.#r;
    this.#p01 = 0;
    this.#p11 = 25; // (5 m/s)²: we do not know the climb rate yet
    this.initialized = true;
  }

  /** Moves the estimate `dtS` seconds forward. */
  predict(dtS: number): void {
    if (!this.initialized || dtS <= 0) return;
    const q = this.#q;
    this.altitudeM += this.verticalSpeedMps * dtS;
    const p00 = this.#p00 + dtS * (2 * this.#p01 + dtS * this.#p11) + (q * dtS * dtS * dtS) / 3;
    const p01 = this.#p01 + dtS * this.#p11 + (q * dtS * dtS) / 2;
    const p11 = this.#p11 + q * dtS;
    this.#p00 = p00;
    this.#p01 = p01;
    this.#p11 = p11;
  }

  /** Variance of the next measurement around the prediction (for gating). */
  get innovationVariance(): number {
    return this.#p00 + this.#r;
  }

  /** Folds in an altitude measurement. */
  update(measuredM: number): void {
    if (!this.initialized) {
      this.reset(measuredM);
      return;
    }
    const s = this.#p00 + this.#r;
    const k0 = this.#p00 / s;
    const k1 = this.#p01 / s;
    const innovation = measuredM - this.altitudeM;
    this.altitudeM += k0 * innovation;
    this.verticalSpeedMps += k1 * innovation;
    const p00 = (1 - k0) * this.#p00;
    const p01 = (1 - k0) * this.#p01;
    const p11 = this.#p11 - k1 * this.#p01;
    this.#p00 = p00;
    this.#p01 = p01;
    this.#p11 = p11;
  }
}
