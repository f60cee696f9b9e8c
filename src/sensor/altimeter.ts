// The altimeter: one call, read(), turns whatever the barometer does into a reading a pilot can
// trust. It never throws and never reports a wrong number: a fault gives quality "fault" and no
// values (NaN); a refused reading gives "degraded" and the filter's estimate.
//
//   chip ──sample──▶ stuck check ──▶ range check ──▶ altitude ──▶ vertical estimator (physics gate,
//                                                                  spike-or-fall by consistency, Kalman)
//
// Faults re-initialise the chip (or probe the bus again) with exponential backoff. An error that is
// not a SensorFault (a bug in a driver or the filter) is logged and treated as a fault: the next
// sample runs.
import type { Clock, Log } from '../ports';
import { altitudeM, qnhFor } from './altitude';
import type { Barometer } from './barometer';
import { SensorFault, type SensorFaultCode } from './errors';
import { checkRange, DEFAULT_LIMITS, type PlausibilityLimits } from './filters';
import { DEFAULT_KALMAN, type KalmanOptions } from './kalman';
import { VerticalEstimator } from './vertical-estimator';

export type Quality = 'ok' | 'degraded' | 'fault';

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
  log?: Log;
}

export class Altimeter {
  readonly #options: AltimeterOptions;
  readonly #limits: PlausibilityLimits;
  readonly #estimator: VerticalEstimator;
  readonly #reading: AltitudeReading = {
    timestampMs: 0, pressurePa: NaN, temperatureC: NaN, altitudeM: NaN, verticalSpeedMps: NaN, quality: 'fault', fault: undefined, faultMessage: '',
  };
  #barometer: Barometer | undefined;
  #referencePa: number | undefined;
  #retryAtMs = 0;
  #failures = 0;
  #faulted: SensorFault | undefined;
  #lastRawPressure = NaN;
  #lastRawTemperature = NaN;
  #sameCount = 0;
  /** Declared stuck: identical values stay refused until the reading moves again. */
  #stuck = false;
  #settling = 0;
  #lastPressurePa = NaN;

  constructor(options: AltimeterOptions) {
    this.#options = options;
    this.#limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.#estimator = new VerticalEstimator({ ...DEFAULT_KALMAN, ...options.kalman });
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
    if (this.#referencePa !== undefined && this.#estimator.kalman.initialized && pressure === pressure) {
      this.#estimator.shift(altitudeM(pressure, referencePa) - altitudeM(pressure, this.#referencePa));
    }
    this.#referencePa = referencePa;
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
      if (error instanceof SensorFault) return this.#fail(now, error);
      // Not a fault the driver knows: a bug. Say so, and carry on as after any fault.
      const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      this.#options.log?.(`sensor: unexpected ${what} (treated as a fault; the next sample runs)`);
      if (!this.#estimator.healthy) this.#estimator.restart();
      return this.#fail(now, new SensorFault('UNEXPECTED', `the driver or the filter failed unexpectedly: ${what}`));
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
    const verdict = this.#estimator.push(now, altitudeM(pressure, this.#referencePa));
    const quality: Quality = this.#settling > 0 || verdict !== 'ok' ? 'degraded' : 'ok';
    if (this.#settling > 0) this.#settling--;
    const kalman = this.#estimator.kalman;
    reading.pressurePa = pressure;
    reading.temperatureC = temperature;
    reading.altitudeM = kalman.altitudeM;
    reading.verticalSpeedMps = kalman.verticalSpeedMps;
    reading.quality = quality;
    reading.fault = undefined;
    reading.faultMessage = '';
    return reading;
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
