// Whether a new frame of the plot would look like the one on screen, to the pixel: then the chart
// does not redraw it. With the whole flight in view, a pixel column is a minute or more of readings,
// so most new readings land in the last column within the values it already shows and change
// nothing anyone could see; redrawing 86,400 readings' worth of plot for them is what made a long
// flight slow.

/** The altitude and vertical speed axes: their ranges never shrink below these (noise is not a flight). */
export const LEAST_RANGE = { altitude: 20, verticalSpeed: 4 } as const;

/** The value range an axis shows for data from `min` to `max`: 5 % margins, at least `least` tall. */
export function valueRange(min: number, max: number, least: number): [number, number] {
  if (min !== min || max !== max) return [-least / 2, least / 2];
  const pad = Math.max(0, least - (max - min)) / 2 + (max - min) * 0.05;
  return [min - pad, max + pad];
}

export interface Points {
  time: Float64Array;
  altitude: Float64Array;
  verticalSpeed: Float64Array;
  length: number;
}

function extent(values: Float64Array, n: number, least: number): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min === Infinity ? valueRange(NaN, NaN, least) : valueRange(min, max, least);
}

/** Same pixel for every point of one series, and the same axis range to the pixel, in a plot `rows` tall. */
function sameRows(a: Float64Array, b: Float64Array, n: number, rows: number, least: number): boolean {
  const [aMin, aMax] = extent(a, n, least);
  const [bMin, bMax] = extent(b, n, least);
  const aScale = rows / (aMax - aMin);
  const bScale = rows / (bMax - bMin);
  if (Math.round((aMin - bMin) * bScale) !== 0 || Math.round((aMax - bMax) * bScale) !== 0) return false;
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (x !== x || y !== y) {
      if (x === x || y === y) return false; // a value where there was none, or the reverse
      continue;
    }
    if (Math.floor((x - aMin) * aScale) !== Math.floor((y - bMin) * bScale)) return false;
  }
  return true;
}

/**
 * Would `a` be drawn as `b` was, over the same time range [min, max] on a plot of `columns` × `rows`
 * canvas pixels: as many points, each in the same pixel column and row, and the axes' ranges the same
 * to the pixel?
 */
export function sameDrawing(a: Points, b: Points, view: { min: number; max: number; columns: number; rows: number }): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  const perSecond = view.columns / (view.max - view.min);
  for (let i = 0; i < n; i++) {
    if (Math.floor((a.time[i] - view.min) * perSecond) !== Math.floor((b.time[i] - view.min) * perSecond)) return false;
  }
  return sameRows(a.altitude, b.altitude, n, view.rows, LEAST_RANGE.altitude) && sameRows(a.verticalSpeed, b.verticalSpeed, n, view.rows, LEAST_RANGE.verticalSpeed);
}
