// Vertical wind for the simulated flights: turbulence (a random process that forgets its past over
// `turbulenceTimeS`, with standard deviation `turbulenceMps`) plus discrete gusts (a smooth rise and
// fall of up to `gustMps`, lasting 10–30 s, arriving on average every `gustEveryS`). Seeded: the same
// seed blows the same wind. Updated once a second and interpolated in between; polynomials only, so
// Node and XS blow exactly the same wind.
import type { SeededRandom } from './random';

export interface WindSpec {
  turbulenceMps: number;
  turbulenceTimeS: number;
  gustMps: number;
  gustEveryS: number;
}

export const CALM: WindSpec = { turbulenceMps: 0, turbulenceTimeS: 20, gustMps: 0, gustEveryS: 120 };

export class VerticalWind {
  readonly spec: WindSpec;
  readonly #random: SeededRandom;
  #second = -1;
  #previous = 0;
  #current = 0;
  #turbulence = 0;
  #gustStartS = 0;
  #gustLengthS = 0;
  #gustPeakMps = 0;
  #nextGustS: number;

  constructor(spec: WindSpec, random: SeededRandom) {
    this.spec = spec;
    this.#random = random;
    this.#nextGustS = spec.gustMps > 0 ? random.between(0.2, 1.8) * spec.gustEveryS : Infinity;
  }

  /** Vertical wind (m/s, up positive) at `timeS` (called with non-decreasing times). */
  at(timeS: number): number {
    while (this.#second < Math.floor(timeS)) this.#advanceSecond();
    const fraction = timeS - this.#second;
    return this.#previous + (this.#current - this.#previous) * fraction;
  }

  #advanceSecond(): void {
    const s = this.spec;
    const random = this.#random;
    this.#second++;
    const t = this.#second;
    // Discrete Ornstein–Uhlenbeck step of one second: keeps the standard deviation at turbulenceMps.
    const keep = 1 - 1 / Math.max(1, s.turbulenceTimeS);
    this.#turbulence = keep * this.#turbulence + s.turbulenceMps * Math.sqrt(1 - keep * keep) * random.gaussian();
    if (t >= this.#nextGustS) {
      this.#gustStartS = t;
      this.#gustLengthS = random.between(10, 30);
      this.#gustPeakMps = random.between(-1, 1) * s.gustMps;
      this.#nextGustS = t + this.#gustLengthS + random.between(0.2, 1.8) * s.gustEveryS;
    }
    const x = (t - this.#gustStartS) / this.#gustLengthS;
    const gust = x > 0 && x < 1 ? 16 * x * x * (1 - x) * (1 - x) * this.#gustPeakMps : 0; // a smooth bump peaking at x = ½
    this.#previous = this.#current;
    this.#current = this.#turbulence + gust;
  }
}
