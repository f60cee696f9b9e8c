// The chart skips a redraw only when the new frame would look like the one on screen, to the pixel
// (host/web/page/same-drawing.ts): checked on a day of readings summarised for the whole-flight view.
import { describe, expect, it } from 'vitest';
import { FlightStore, type Reading } from '../../host/web/page/flight-store';
import type { Decimated } from '../../host/web/page/min-max-index';
import { sameDrawing, valueRange } from '../../host/web/page/same-drawing';

const T0 = 1_700_000_000;
const reading = (i: number, alt: number, vs = 0.1 * Math.sin(i)): Reading => ({ seq: i + 1, ts: (T0 + i) * 1000, alt, vs, p: 100_000, t: 15, q: 'ok' });
const empty = (): Decimated => ({ time: new Float64Array(0), altitude: new Float64Array(0), verticalSpeed: new Float64Array(0), length: 0 });
const copy = (d: Decimated): Decimated => ({ time: d.time.slice(0, d.length), altitude: d.altitude.slice(0, d.length), verticalSpeed: d.verticalSpeed.slice(0, d.length), length: d.length });

/**
 * A day with a flight to 1,500 m in it (and one reading more, so that the next one joins the last
 * block of 64 rather than starting one: a new block is new points, and is redrawn), and the
 * whole-flight view of it on a 1,000 × 280 pixel plot.
 */
function day() {
  const store = new FlightStore();
  for (let i = 0; i < 86_401; i++) store.add(reading(i, i < 20_000 ? 1500 * Math.sin((Math.PI * i) / 20_000) : 0.2 * Math.sin(i / 7)));
  const view = { min: T0, max: T0 + 86_400 + 512, columns: 1000, rows: 280 };
  const draw = () => copy(store.summary.decimate(0, store.length, view.columns, empty()));
  return { store, view, draw };
}

describe('the same drawing, to the pixel (same-drawing.ts)', () => {
  it('a reading within what the last pixel column already shows changes nothing drawn', () => {
    const { store, view, draw } = day();
    const before = draw();
    const last = store.length - 1;
    // On the ground, a centimetre from the reading before: within the pixel it is drawn on.
    store.add(reading(86_401, store.altitude[last] + 0.01, store.verticalSpeed[last] + 0.001));
    expect(sameDrawing(draw(), before, view)).toBe(true);
  });

  it('a reading that reaches a new pixel row, a new column or a new axis range is drawn', () => {
    const a = day();
    const before = a.draw();
    a.store.add(reading(86_401, 40)); // 40 m: a few pixels up in the last column
    expect(sameDrawing(a.draw(), before, a.view)).toBe(false);

    const b = day();
    const beforeB = b.draw();
    b.store.add(reading(86_401, 1_800)); // above the flight's top: the axis grows
    expect(sameDrawing(b.draw(), beforeB, b.view)).toBe(false);

    const c = day();
    const beforeC = c.draw();
    for (let i = 86_401; i < 86_401 + 200; i++) c.store.add(reading(i, 0)); // into the next column
    expect(sameDrawing(c.draw(), beforeC, c.view)).toBe(false);
  });

  it('a reading without a value (a sensor fault) where the column had values is drawn, as a gap', () => {
    const { store, view, draw } = day();
    const before = draw();
    for (let i = 86_401; i < 86_401 + 64; i++) store.add({ ...reading(i, NaN), vs: NaN, q: 'fault' });
    // The faults fill a block of their own or join the last one; either way the picture changes.
    const after = draw();
    expect(after.length === before.length && sameDrawing(after, before, view)).toBe(false);
  });

  it('value ranges keep 5 % margins and a least height', () => {
    expect(valueRange(0, 100, 20)).toEqual([-5, 105]);
    const [low, high] = valueRange(10, 12, 20); // 2 m of data: 9 m more each side, and 5 %
    expect(low).toBeCloseTo(0.9, 9);
    expect(high).toBeCloseTo(21.1, 9);
    expect(valueRange(NaN, NaN, 4)).toEqual([-2, 2]);
  });
});
