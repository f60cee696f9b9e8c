// The altimeter: one call, read(), turns whatever the barometer does into a reading a pilot can
// trust. It never throws and never reports a wrong number: a fault gives quality "fault" and no
// values (NaN); a rejected spike gives "degraded" and the filter's estimate.
//
//   chip ──sample──▶ stuck check ──▶ range check ──▶ altitude ──▶ median(3) ──▶ rate gate ──▶ Kalman
//
// Faults re-initialise the chip (or probe the bus again) with exponential backoff.
import type { Clock, Log } from '../ports';
import { altitudeM, qnhFor } from './altitude';
import type { Barometer } from './barometer';
import { SensorFault, type SensorFaultCode } from './errors';
import { checkRange, checkRate, DEFAULT_LIMITS, MedianFilter, type PlausibilityLimits } from './filters';
import { AltitudeKalman, DEFAULT_KALMAN, type KalmanOptions } from './kalman';

export type Quality = 'ok' | 'degraded' | 'fault';

/** Longest gap between good samples that the filter predicts across (s). */
const MAX_PREDICTION_GAP_S = 10;
/** Readings marked degraded while the filter settles after a recovery or a restart. */
const SETTLING_SAMPLES = 5;

export interface AltitudeReading {
  timestampMs: number;
  pressurePa: number;
  temperatureC: number;
  altitudeM: number;
  verticalSpeedMps: number;
  quality: Quality;
  /** Set while quality is "fault". */
  fault: SensorFaultCode | undefined;
  faultMessage: string;
}

export interface AltimeterOptions {
  /** Opens the barometer (usually probeBarometer); throws a SensorFault when none is found. */
  open: () => Barometer;
  clock: Clock;
  /** Reference pressure (QNH, or the launch site's). Undefined: the first good reading zeroes it. */
  referencePa?: number;
  limits?: Partial<PlausibilityLimits>;
  kalman?: Partial<KalmanOptions>;
  /** Retry delays after a fault: doubling from 1 s up to 10 s by default (a balloon cannot wait long). */
  recovery?: { minDelayMs?: number; maxDelayMs?: number };
  /** Identical raw readings in a row that count as a stuck sensor (default 8). */
  stuckAfterSamples?: number;
  /** Consecutive implausible jumps after which the filter believes the sensor and starts again. */
  reanchorAfter?: number;
  log?: Log;
}

export class Altimeter {
  readonly #options: AltimeterOptions;
  readonly #limits: PlausibilityLimits;
  readonly #kalman: AltitudeKalman;
  readonly #median = new MedianFilter(3);
  readonly #reading: AltitudeReading = {
    timestampMs: 0, pressurePa: NaN, temperatureC: NaN, altitudeM: NaN, verticalSpeedMps: NaN, quality: 'fault', fault: undefined, faultMessage: '',
  };
  #barometer: Barometer | undefined;
  #referencePa: number | undefined;
  #retryAtMs = 0;
  #failures = 0;
  #faulted: SensorFault | undefined;
  #lastSampleMs = 0;
  #lastRawPressure = NaN;
  #lastRawTemperature = NaN;
  #sameCount = 0;
  /** Declared stuck: identical values stay refused until the reading moves again. */
  #stuck = false;
  #rejected = 0;
  #settling = 0;
  #lastPressurePa = NaN;

  constructor(options: AltimeterOptions) {
    this.#options = options;
    this.#limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.#kalman = new AltitudeKalman({ ...DEFAULT_KALMAN, ...options.kalman });
    this.#referencePa = options.referencePa;
  }

  get chip(): string | undefined {
    return this.#barometer?.chip;
  }
  get referencePa(): number | undefined {
    return this.#referencePa;
  }

  /** Sets the reference pressure (QNH or a known site pressure); altitudes shift, the climb rate does not. */
  setReference(referencePa: number): void {
    if (!(referencePa >= 30_000 && referencePa <= 110_000)) {
      throw new RangeError(`reference pressure ${referencePa} Pa is not between 30,000 and 110,000 Pa`);
    }
    const pressure = this.#lastPressurePa;
    if (this.#referencePa !== undefined && this.#kalman.initialized && pressure === pressure) {
      this.#kalman.altitudeM += altitudeM(pressure, referencePa) - altitudeM(pressure, this.#referencePa);
    }
    this.#referencePa = referencePa;
    this.#median.reset();
  }

  /**
   * Sets the reference so that altitude reads `elevationM` here: 0 (the default) zeroes at the launch
   * site; a field elevation gives altitude above sea level (the QNH that makes it so). Returns it.
   */
  zero(elevationM = 0): number {
    const pressure = this.#lastPressurePa;
    if (pressure !== pressure) throw new SensorFault('NOT_READY', 'cannot zero: no good pressure reading yet');
    const reference = elevationM === 0 ? pressure : qnhFor(pressure, elevationM);
    this.setReference(reference);
    return reference;
  }

  /** Takes one reading. The returned object is reused by the next call. */
  read(): AltitudeReading {
    const now = this.#options.clock.now();
    const reading = this.#reading;
    reading.timestampMs = now;
    if (this.#faulted && now < this.#retryAtMs) return this.#faultReading(this.#faulted);
    try {
      if (this.#faulted || !this.#barometer) this.#recover();
      const barometer = this.#barometer!;
      const sample = barometer.sample();
      this.#checkStuck(sample.pressure, sample.temperature);
      if (checkRange(sample.pressure, sample.temperature, this.#limits) !== 'ok') {
        throw new SensorFault('IMPOSSIBLE', `${barometer.chip} read ${sample.pressure.toFixed(0)} Pa at ${sample.temperature} °C: outside what a balloon meets`);
      }
      this.#faulted = undefined;
      this.#failures = 0;
      return this.#estimate(now, sample.pressure, sample.temperature);
    } catch (error) {
      if (!(error instanceof SensorFault)) throw error;
      return this.#fail(now, error);
    }
  }

  #recover(): void {
    if (this.#barometer) {
      this.#barometer.reinitialize();
    } else {
      this.#barometer = this.#options.open();
      this.#options.log?.(`sensor: ${this.#barometer.chip} at 0x${this.#barometer.address.toString(16)}`);
    }
    this.#settling = SETTLING_SAMPLES; // the first readings after a recovery are marked degraded
  }

  #checkStuck(pressure: number, temperature: number): void {
    const limit = this.#options.stuckAfterSamples ?? 8;
    if (pressure === this.#lastRawPressure && temperature === this.#lastRawTemperature) {
      if (this.#stuck || ++this.#sameCount >= limit) {
        this.#stuck = true;
        throw new SensorFault('STUCK', `the reading has not changed for ${limit} samples: a live sensor always has noise`);
      }
    } else {
      this.#sameCount = 0;
      this.#stuck = false;
    }
    this.#lastRawPressure = pressure;
    this.#lastRawTemperature = temperature;
  }

  #estimate(now: number, pressure: number, temperature: number): AltitudeReading {
    const reading = this.#reading;
    if (this.#referencePa === undefined) {
      this.#referencePa = pressure;
      this.#options.log?.(`altitude reference: ${pressure.toFixed(1)} Pa (zeroed at the first reading)`);
    }
    this.#lastPressurePa = pressure;
    const kalman = this.#kalman;
    const measured = altitudeM(pressure, this.#referencePa);
    const median = this.#median.push(measured);
    const dtS = this.#lastSampleMs ? (now - this.#lastSampleMs) / 1000 : 0;
    this.#lastSampleMs = now;
    if (dtS > MAX_PREDICTION_GAP_S) {
      // After a long gap (a fault) the old climb rate says little: start the estimate again.
      kalman.reset(measured);
      this.#settling = SETTLING_SAMPLES;
    }
    kalman.predict(dtS);
    let quality: Quality = this.#settling > 0 ? 'degraded' : 'ok';
    if (this.#settling > 0) this.#settling--;
    if (kalman.initialized && this.#implausible(measured, median, dtS)) {
      quality = 'degraded';
      if (++this.#rejected >= (this.#options.reanchorAfter ?? 3)) {
        // The sensor insists: believe it and start the estimate again from there.
        kalman.reset(median);
        this.#median.reset();
        this.#rejected = 0;
      }
    } else {
      this.#rejected = 0;
      kalman.update(measured);
    }
    reading.pressurePa = pressure;
    reading.temperatureC = temperature;
    reading.altitudeM = kalman.altitudeM;
    reading.verticalSpeedMps = kalman.verticalSpeedMps;
    reading.quality = quality;
    reading.fault = undefined;
    reading.faultMessage = '';
    return reading;
  }

  /**
   * A spike stands out from the median of the last three readings by more than the balloon's own
   * motion explains (the median itself lags a climb by one sample, so it only judges, never feeds
   * the filter); a jump no balloon can make fails the rate gate against the prediction.
   */
  #implausible(measured: number, median: number, dtS: number): boolean {
    const limits = this.#limits;
    // How far the balloon itself may have moved between samples, with room for it to speed up.
    const motionM = 2 * (Math.abs(this.#kalman.verticalSpeedMps) * dtS + 0.5 * limits.maxAccelerationMps2 * dtS * dtS);
    if (Math.abs(measured - median) > limits.noiseAllowanceM + motionM) return true;
    return checkRate(measured, this.#kalman.altitudeM, dtS, limits) === 'too-fast';
  }

  #fail(now: number, fault: SensorFault): AltitudeReading {
    this.#faulted = fault;
    const { minDelayMs = 1000, maxDelayMs = 10_000 } = this.#options.recovery ?? {};
    this.#retryAtMs = now + Math.min(maxDelayMs, minDelayMs * 2 ** Math.min(this.#failures, 20));
    this.#failures++;
    this.#options.log?.(`sensor fault ${fault.code}: ${fault.message} (retry in ${this.#retryAtMs - now} ms)`);
    return this.#faultReading(fault);
  }

  #faultReading(fault: SensorFault): AltitudeReading {
    const reading = this.#reading;
    reading.pressurePa = NaN;
    reading.temperatureC = NaN;
    reading.altitudeM = NaN;
    reading.verticalSpeedMps = NaN;
    reading.quality = 'fault';
    reading.fault = fault.code;
    reading.faultMessage = fault.message;
    return reading;
  }
}
