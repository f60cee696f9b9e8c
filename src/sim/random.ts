// Seeded randomness for the simulated flights: the same seed gives the same flight, bit for bit, on
// Node and on XS. The generator is xorshift32 (small, fast, good enough for noise), and the normal
// deviate is the sum of twelve uniforms minus six: only additions, so it does not depend on an
// engine's Math.log or Math.cos (which may differ in the last bit between V8 and XS and would make a
// long flight drift apart). It is truncated at ±6σ, which a simulation of noise never misses.

export class SeededRandom {
  #state: number;

  constructor(seed: number) {
    // xorshift32 must not start at 0; mix the seed so that small seeds (1, 2, 3…) differ at once.
    let s = (seed ^ 0x9e3779b9) >>> 0;
    s = Math.imul(s ^ (s >>> 16), 0x85ebca6b) >>> 0;
    s = Math.imul(s ^ (s >>> 13), 0xc2b2ae35) >>> 0;
    this.#state = (s ^ (s >>> 16)) >>> 0 || 0x2545f491;
  }

  /** Uniform in (0, 1). */
  uniform(): number {
    let s = this.#state;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    this.#state = s >>> 0;
    return (this.#state + 0.5) / 4294967296;
  }

  /** Uniform in [low, high). */
  between(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Standard normal deviate (mean 0, standard deviation 1). */
  gaussian(): number {
    let sum = 0;
    for (let i = 0; i < 12; i++) sum += this.uniform();
    return sum - 6;
  }

  /** A new generator whose sequence does not overlap this one's in practice (for a sub-process). */
  fork(): SeededRandom {
    return new SeededRandom((this.uniform() * 4294967296) >>> 0);
  }
}
