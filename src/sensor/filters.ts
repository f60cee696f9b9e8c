// Cheap guards between the chip and the estimate. A median of three removes an isolated spike
// (the commonest barometer complaint after a bus glitch) for one sample of lag; the plausibility
// gate refuses what no balloon can do. Fixed-size storage: nothing is allocated per sample.

/** Running median of the last `size` values (size odd and small). */
export class MedianFilter {
  readonly #window: Float64Array;
  readonly #sorted: Float64Array;
  #count = 0;
  #next = 0;

  constructor(size = 3) {
    if (size < 1 || size % 2 === 0) throw new RangeError(`median window must be odd, not ${size}`);
    this.#window = new Float64Array(size);
    this.#sorted = new Float64Array(size);
  }

  push(value: number): number {
    const window = this.#window;
    window[this.#next] = value;
    this.#next = (this.#next + 1) % window.length;
    if (this.#count < window.length) this.#count++;
    const n = this.#count;
    const sorted = this.#sorted;
    // insertion sort of at most `size` values
    for (let i = 0; i < n; i++) {
      const v = window[i];
      let j = i - 1;
      while (j >= 0 && sorted[j] > v) {
        sorted[j + 1] = sorted[j];
        j--;
      }
      sorted[j + 1] = v;
    }
    return n % 2 === 1 ? sorted[(n - 1) >> 1] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  reset(): void {
    this.#count = 0;
    this.#next = 0;
  }
}

export interface PlausibilityLimits {
  /** Pressures outside [min, max] are not air a balloon flies in (defaults: 25–110 kPa, i.e. up to ~10 km). */
  minPressurePa: number;
  maxPressurePa: number;
  minTemperatureC: number;
  maxTemperatureC: number;
  /** Fastest climb or fall believed (a balloon in free fall reaches ~30 m/s; 100 m/s is a glitch). */
  maxVerticalSpeedMps: number;
  /** Hardest change of climb rate believed (m/s²): an envelope failure is about 2. */
  maxAccelerationMps2: number;
  /** Allowance for sensor noise on top of the speed limit (m). */
  noiseAllowanceM: number;
}

export const DEFAULT_LIMITS: PlausibilityLimits = {
  minPressurePa: 25_000,
  maxPressurePa: 110_000,
  minTemperatureC: -60,
  maxTemperatureC: 85,
  maxVerticalSpeedMps: 40,
  maxAccelerationMps2: 3,
  noiseAllowanceM: 3,
};

export type Plausibility = 'ok' | 'out-of-range' | 'too-fast';

export function checkRange(pressurePa: number, temperatureC: number, limits: PlausibilityLimits): Plausibility {
  const inRange =
    pressurePa >= limits.minPressurePa && pressurePa <= limits.maxPressurePa && temperatureC >= limits.minTemperatureC && temperatureC <= limits.maxTemperatureC;
  return inRange ? 'ok' : 'out-of-range';
}

/** Is a move from `expectedM` to `altitudeM` in `dtS` seconds something a balloon can do? */
export function checkRate(altitudeM: number, expectedM: number, dtS: number, limits: PlausibilityLimits): Plausibility {
  return Math.abs(altitudeM - expectedM) <= limits.maxVerticalSpeedMps * dtS + limits.noiseAllowanceM ? 'ok' : 'too-fast';
}
