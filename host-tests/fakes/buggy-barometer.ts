// A barometer driver with a bug: on the readings listed it throws what no driver should — a
// TypeError, a RangeError, even a bare string — instead of a SensorFault. Core-compatible.
import type { Barometer, BarometerSample } from '../../src/sensor/barometer';

export class BuggyBarometer implements Barometer {
  readonly chip;
  readonly address;
  readonly #inner: Barometer;
  readonly #throws: Map<number, unknown>;
  #count = 0;
  reinitialized = 0;

  /** `throws`: reading number (1 = the first) → what to throw then. */
  constructor(inner: Barometer, throws: Map<number, unknown>) {
    this.#inner = inner;
    this.#throws = throws;
    this.chip = inner.chip;
    this.address = inner.address;
  }

  sample(): BarometerSample {
    const thrown = this.#throws.get(++this.#count);
    if (thrown !== undefined) throw thrown;
    return this.#inner.sample();
  }

  reinitialize(): void {
    this.reinitialized++;
    this.#inner.reinitialize();
  }

  close(): void {
    this.#inner.close();
  }
}
