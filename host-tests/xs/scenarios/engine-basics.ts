// A scenario that exercises the language features the core relies on, so the same run on Node and on
// XS can be compared value for value.
export default function engineBasics() {
  const bytes = new Uint8Array([0x30, 0x05, 0x00, 0x03, 0x61, 0x2f, 0x62]);
  const view = new DataView(bytes.buffer);
  class Counter {
    #count = 0;
    add(by: number): number {
      this.#count += by;
      return this.#count;
    }
  }
  const counter = new Counter();
  const sum = [1, 2, 3, 4].reduce((total, value) => total + counter.add(value), 0);
  return {
    topicLength: view.getUint16(2),
    sum,
    float: Math.round(44330 * (1 - Math.pow(90000 / 101325, 1 / 5.255)) * 1000) / 1000,
    json: JSON.stringify({ seq: 1, alt: 1523.4 }),
    bigint: (2n ** 64n - 1n).toString(16),
    sorted: ['b', 'a', 'c'].sort(),
  };
}

export async function asyncValue() {
  const value = await Promise.resolve(41);
  return value + 1;
}

export function throwsTyped() {
  const error = new Error('bad remaining length');
  (error as Error & { code: string }).code = 'MALFORMED_LENGTH';
  throw error;
}

let scratch = new Uint8Array(64);
let total = 0;
export function setup() {
  scratch = new Uint8Array(64);
  total = 0;
}
/** Writes into a reused buffer: allocates nothing. */
export function step(i: number) {
  scratch[i & 63] = i & 0xff;
  total += scratch[(i * 7) & 63];
}
/** Allocates one small object per call. */
export function allocatingStep(i: number) {
  total += [i, i + 1].length;
}
export function result() {
  return total;
}
/** Runs a garbage collection every call (XS's gc(); absent on Node): no measured window is clean. */
export function collectingStep() {
  (globalThis as { gc?: () => void }).gc?.();
}
