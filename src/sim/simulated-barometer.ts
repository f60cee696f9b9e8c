// A barometer that measures a simulated (or recorded) flight the way a real chip would: conversions
// at the chip's output data rate with its noise, its on-chip IIR filter (and the lag that comes with
// it), and its output resolution; plus the faults the flight scripts (a chip that stops answering,
// a reading that freezes). It is what `npm start`, the desktop simulator and the tests read instead
// of an I2C chip, through the same Altimeter as the real drivers.
//
// Chip figures (our drivers' settings, see src/sensor/bmp280.ts and ms5611.ts):
//   BMP280  ×16 pressure / ×2 temperature oversampling, IIR coefficient 4, normal mode with 62.5 ms
//           standby (about 9.5 conversions a second). Datasheet (BST-BMP280-DS001) table 7 gives 4.0 cm
//           RMS noise at exactly these settings, i.e. 0.48 Pa at sea level; table 4 a resolution of
//           0.16 Pa at ×16. The per-conversion noise is the filtered noise times √(2c − 1).
//   MS5611  OSR 4096, one conversion per reading, no filter. Datasheet: 0.012 mbar (1.2 Pa) RMS
//           resolution at OSR 4096; the compensated output is in 0.01 mbar (1 Pa) steps.
import type { Clock } from '../ports';
import type { Barometer, BarometerSample, ChipName } from '../sensor/barometer';
import { SensorFault } from '../sensor/errors';
import { SeededRandom } from './random';

export interface ChipProfile {
  name: string;
  /** RMS pressure noise of the output (after the chip's own filter), Pa. */
  noisePa: number;
  /** Output resolution (Pa): readings come in steps of this. */
  resolutionPa: number;
  /** Conversions per second (normal mode); 0: one conversion per reading (forced). */
  conversionsPerS: number;
  /** On-chip IIR filter coefficient c (output += (new − output)/c); 1: off. */
  iirCoefficient: number;
  /** Temperature output resolution (°C). */
  temperatureResolutionC: number;
}

export const CHIP_PROFILES: Record<'BMP280' | 'MS5611', ChipProfile> = {
  BMP280: { name: 'BMP280', noisePa: 0.48, resolutionPa: 0.16, conversionsPerS: 9.5, iirCoefficient: 4, temperatureResolutionC: 0.01 },
  MS5611: { name: 'MS5611', noisePa: 1.2, resolutionPa: 1, conversionsPerS: 0, iirCoefficient: 1, temperatureResolutionC: 0.01 },
};

/** What a barometer can read: the true air at the sensor, and what the sensor does now. */
export interface FlightSource {
  readonly startMs: number;
  at(nowMs: number): { pressurePa: number; temperatureC: number; sensor: 'ok' | 'silent' | 'frozen' };
}

export interface SimulatedBarometerOptions {
  clock: Clock;
  flight: FlightSource;
  profile?: ChipProfile;
  /**
   * Pressure fluctuations of the air around the basket on top of the chip's noise (Pa RMS): the
   * basket swinging, the burner's blast. Not a datasheet figure; 0 unless a test asks for it.
   */
  ambientNoisePa?: number;
  seed?: number;
}

export class SimulatedBarometer implements Barometer {
  readonly chip: ChipName = 'SIMULATED';
  readonly address = 0;
  readonly flight: FlightSource;
  readonly profile: ChipProfile;
  readonly #clock: Clock;
  readonly #random: SeededRandom;
  readonly #conversionNoisePa: number;
  readonly #ambientNoisePa: number;
  readonly #sample: BarometerSample = { pressure: 0, temperature: 0 };
  #filteredPa = NaN;
  #lastConversionMs = -Infinity;
  #frozen = false;

  constructor(options: SimulatedBarometerOptions) {
    this.#clock = options.clock;
    this.flight = options.flight;
    this.profile = options.profile ?? CHIP_PROFILES.BMP280;
    this.#random = new SeededRandom(options.seed ?? 0x2545f491);
    const c = this.profile.iirCoefficient;
    this.#conversionNoisePa = this.profile.noisePa * Math.sqrt(2 * c - 1);
    this.#ambientNoisePa = options.ambientNoisePa ?? 0;
  }

  sample(): BarometerSample {
    const now = this.#clock.now();
    const frozenBefore = this.#frozen;
    this.#convert(now); // the chip converts whether or not anyone reads it (time only moves forward)
    const truth = this.flight.at(now);
    this.#frozen = truth.sensor === 'frozen';
    if (truth.sensor === 'silent') {
      this.#filteredPa = NaN; // a chip that lost power restarts its filter
      throw new SensorFault('NACK', 'SIMULATED: no acknowledge (the flight scripts the chip silent here)');
    }
    if (this.#frozen && frozenBefore) return this.#sample; // the same values again
    const profile = this.profile;
    const pressure = this.#filteredPa + this.#ambientNoisePa * this.#random.gaussian();
    this.#sample.pressure = Math.round(pressure / profile.resolutionPa) * profile.resolutionPa;
    this.#sample.temperature = Math.round(truth.temperatureC / profile.temperatureResolutionC) * profile.temperatureResolutionC;
    return this.#sample;
  }

  /** Runs the chip's conversions (and its IIR filter) from the last reading up to `now`. */
  #convert(now: number): void {
    const profile = this.profile;
    const c = profile.iirCoefficient;
    if (profile.conversionsPerS === 0 || !(this.#filteredPa === this.#filteredPa)) {
      this.#filteredPa = this.flight.at(now).pressurePa + this.#conversionNoisePa * this.#random.gaussian();
      this.#lastConversionMs = now;
      return;
    }
    const periodMs = 1000 / profile.conversionsPerS;
    // At most two seconds of conversions: older ones have left the filter's memory.
    let at = Math.max(this.#lastConversionMs + periodMs, now - 2000);
    for (; at <= now; at += periodMs) {
      const converted = this.flight.at(at).pressurePa + this.#conversionNoisePa * this.#random.gaussian();
      this.#filteredPa += (converted - this.#filteredPa) / c;
      this.#lastConversionMs = at;
    }
  }

  reinitialize(): void {
    this.#filteredPa = NaN;
  }

  close(): void {}
}
