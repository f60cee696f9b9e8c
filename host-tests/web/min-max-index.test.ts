// The plot's summary of a long flight (host/web/page/min-max-index.ts), checked against a plain scan
// of the store: what it draws keeps every block's true minimum and maximum (peaks survive), in the
// order they happened, stays right as readings are appended live or a backlog is inserted, and is a
// few points per pixel column whatever the span.
import { describe, expect, it } from 'vitest';
import { FlightStore, type Reading } from '../../host/web/page/flight-store';
import { BASE_BLOCK, type Decimated } from '../../host/web/page/min-max-index';

const T0 = 1_700_000_000_000;
const reading = (i: number, alt: number, vs: number): Reading => ({ seq: i + 1, ts: T0 + i * 1000, alt, vs, p: 100_000, t: 15, q: 'ok' });
/** Deterministic pseudo-random in [0, 1). */
const random = (seed: number) => () => ((seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32);
const empty = (): Decimated => ({ time: new Float64Array(0), altitude: new Float64Array(0), verticalSpeed: new Float64Array(0), length: 0 });

function flight(n: number, seed = 1): Reading[] {
  const r = random(seed);
  return Array.from({ length: n }, (_, i) => reading(i, 1000 * Math.sin(i / 5000) + (r() - 0.5) * 4, (r() - 0.5) * 6));
}

/** For each point pair the summary drew, the rows of the block it stands for must have exactly that minimum and maximum. */
function checkBlocks(store: FlightStore, drawn: Decimated): void {
  const index = new Map<number, number>();
  for (let i = 0; i < store.length; i++) index.set(store.time[i], i);
  for (let k = 0; k < drawn.length; k += 2) {
    const first = index.get(drawn.time[k])!;
    const last = index.get(drawn.time[k + 1])!;
    for (const [column, values] of [[store.altitude, drawn.altitude], [store.verticalSpeed, drawn.verticalSpeed]] as const) {
      const block = Array.from(column.subarray(first, last + 1)).filter((v) => v === v);
      if (block.length === 0) {
        expect([values[k], values[k + 1]]).toEqual([NaN, NaN]); // no value in the whole block: a gap
        continue;
      }
      expect([values[k], values[k + 1]].sort((a, b) => a - b)).toEqual([Math.min(...block), Math.max(...block)]);
      // In the order they happened.
      const at = (v: number) => first + Array.from(column.subarray(first, last + 1)).indexOf(v);
      expect(at(values[k]) <= at(values[k + 1])).toBe(true);
    }
  }
}

describe('the plot summary (min-max-index.ts)', () => {
  it('draws every reading when there are few, and min/max pairs of blocks at most a column wide when there are many', () => {
    const store = new FlightStore();
    for (const r of flight(20_000)) store.add(r);
    const few = store.summary.decimate(100, 1100, 1000, empty());
    expect(few.length).toBe(1000);
    expect(Array.from(few.altitude.subarray(0, 1000))).toEqual(Array.from(store.altitude.subarray(100, 1100)));

    for (const columns of [100, 333, 1200]) {
      const drawn = store.summary.decimate(0, 20_000, columns, empty());
      expect(drawn.length).toBeGreaterThanOrEqual(2 * columns);
      expect(drawn.length).toBeLessThanOrEqual(4 * columns + 4);
      checkBlocks(store, drawn);
    }
  });

  it('keeps a one-reading spike, up or down, at any zoom', () => {
    const store = new FlightStore();
    const readings = flight(86_400, 7);
    readings[43_210].alt = 9_999;
    readings[50_001].vs = -80;
    for (const r of readings) store.add(r);
    for (const columns of [300, 1280, 2560]) {
      const drawn = store.summary.decimate(0, 86_400, columns, empty());
      expect(Math.max(...drawn.altitude.subarray(0, drawn.length))).toBe(9_999);
      expect(Math.min(...drawn.verticalSpeed.subarray(0, drawn.length))).toBe(-80);
    }
  });

  it('stays right while readings are appended one by one, and when a backlog is inserted into a gap', () => {
    const all = flight(30_000, 3);
    const live = new FlightStore();
    const gap = [12_000, 13_500];
    for (const [i, r] of all.entries()) {
      if (i >= gap[0] && i < gap[1]) continue;
      live.add(r);
      if (i % 997 === 0 && live.length > BASE_BLOCK * 200) checkBlocks(live, live.summary.decimate(0, live.length, 200, empty())); // queried mid-flight
    }
    for (const r of all.slice(gap[0], gap[1])) live.add(r); // the persistent session's backlog, late
    const whole = new FlightStore();
    for (const r of all) whole.add(r);
    for (const columns of [200, 1000]) {
      const a = live.summary.decimate(0, live.length, columns, empty());
      const b = whole.summary.decimate(0, whole.length, columns, empty());
      expect(Array.from(a.altitude.subarray(0, a.length))).toEqual(Array.from(b.altitude.subarray(0, b.length)));
      expect(Array.from(a.verticalSpeed.subarray(0, a.length))).toEqual(Array.from(b.verticalSpeed.subarray(0, b.length)));
      checkBlocks(live, a);
    }
  });

  it('ignores readings without a value (a sensor fault) unless a whole block has none', () => {
    const store = new FlightStore();
    const readings = flight(BASE_BLOCK * 400, 5);
    for (let i = 800; i < 1600; i++) readings[i].alt = NaN; // 800 readings of faults
    readings[5].alt = NaN;
    for (const r of readings) store.add(r);
    // 3,200 readings on 100 columns: blocks of 32 (100 of them), 25 of which have no altitude at all.
    const drawn = store.summary.decimate(0, store.length, 100, empty());
    expect(drawn.length).toBe(200);
    const alt = Array.from(drawn.altitude.subarray(0, drawn.length));
    expect(alt.filter((v) => v !== v).length).toBe(50); // the fault shows as a gap
    checkBlocks(store, drawn);
  });
});
