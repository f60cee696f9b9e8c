// What the plot draws of a long flight: at most a few points per pixel column, chosen so that no peak
// is lost. The store keeps every reading; this index keeps, for blocks of 8, 16, 32 … consecutive
// rows, which row holds the lowest and which the highest altitude and vertical speed. A view of any
// span is then drawn from the level whose blocks are about one pixel column wide: two points per
// block (its minimum and maximum, in the order they happened), so a day of 86,400 readings on a
// 1,200-pixel plot is 2,400 to 4,800 points, whatever the zoom, and a spike of one reading survives.
//
// Kept up to date lazily: the store says from which row it changed (an append: the last row; a
// backlog filling a gap: the row it went in), and the next query recomputes the blocks from there
// on, from the level below (two children per block). A live append costs one block per level.
//
// Memory: one row index (4 bytes) per block, per series, for its minimum and its maximum, over all
// levels: 2 series × 2 × 4 bytes × n/4 rows ≈ 4 bytes per reading.

/** The columns the index summarises (the flight store's). */
export interface Rows {
  readonly length: number;
  readonly time: Float64Array;
  readonly altitude: Float64Array;
  readonly verticalSpeed: Float64Array;
}

/** Where a decimated view goes: x, altitude and vertical speed, `length` points (the arrays may be longer). */
export interface Decimated {
  time: Float64Array;
  altitude: Float64Array;
  verticalSpeed: Float64Array;
  length: number;
}

/** Rows per block on the first level; each level above doubles it. */
export const BASE_BLOCK = 8;

interface Level {
  size: number;
  /** Per block: the row of the minimum and of the maximum altitude, then of vertical speed. */
  altMin: Uint32Array;
  altMax: Uint32Array;
  vsMin: Uint32Array;
  vsMax: Uint32Array;
}

export class MinMaxIndex {
  readonly #rows: Rows;
  #levels: Level[] = [];
  /** Rows from here on may have changed since the blocks were computed. */
  #staleFrom = 0;

  constructor(rows: Rows) {
    this.#rows = rows;
  }

  /** The rows from `row` on changed (appended, or shifted by an insertion). */
  changed(row: number): void {
    if (row < this.#staleFrom) this.#staleFrom = row;
  }

  get bytes(): number {
    let bytes = 0;
    for (const level of this.#levels) bytes += 4 * level.altMin.byteLength;
    return bytes;
  }

  /**
   * Writes into `out` what to draw of rows [from, to) on `columns` pixel columns: every row when
   * there are few enough, else the minimum and maximum of each block of the level whose blocks are
   * at most one column wide. Returns the number of points written (out grows if it must).
   */
  decimate(from: number, to: number, columns: number, out: Decimated): Decimated {
    const count = to - from;
    const rows = this.#rows;
    if (count <= BASE_BLOCK * columns) {
      reserve(out, count);
      out.time.set(rows.time.subarray(from, to));
      out.altitude.set(rows.altitude.subarray(from, to));
      out.verticalSpeed.set(rows.verticalSpeed.subarray(from, to));
      out.length = count;
      return out;
    }
    this.#refresh();
    // The widest blocks of which there are still at least `columns` in view.
    let j = 0;
    while (j + 1 < this.#levels.length && Math.ceil(count / this.#levels[j + 1].size) >= columns) j++;
    const level = this.#levels[j];
    const first = Math.floor(from / level.size);
    const last = Math.floor((to - 1) / level.size);
    reserve(out, 2 * (last - first + 1));
    let k = 0;
    for (let b = first; b <= last; b++) {
      const start = b * level.size;
      const end = Math.min(start + level.size, rows.length) - 1;
      out.time[k] = rows.time[start];
      out.time[k + 1] = rows.time[end];
      const aMin = level.altMin[b];
      const aMax = level.altMax[b];
      out.altitude[k] = rows.altitude[aMin < aMax ? aMin : aMax];
      out.altitude[k + 1] = rows.altitude[aMin < aMax ? aMax : aMin];
      const vMin = level.vsMin[b];
      const vMax = level.vsMax[b];
      out.verticalSpeed[k] = rows.verticalSpeed[vMin < vMax ? vMin : vMax];
      out.verticalSpeed[k + 1] = rows.verticalSpeed[vMin < vMax ? vMax : vMin];
      k += 2;
    }
    out.length = k;
    return out;
  }

  /** Recomputes the blocks that cover changed rows, level by level. */
  #refresh(): void {
    const n = this.#rows.length;
    if (this.#staleFrom >= n) return;
    for (let j = 0, size = BASE_BLOCK; ; j++, size *= 2) {
      const blocks = Math.ceil(n / size);
      const level = this.#level(j, size, blocks);
      const firstStale = Math.floor(this.#staleFrom / size);
      for (let b = firstStale; b < blocks; b++) {
        if (j === 0) this.#fromRows(level, b);
        else this.#fromChildren(level, this.#levels[j - 1], b);
      }
      if (blocks === 1) break;
    }
    this.#staleFrom = n;
  }

  /** Level j, with room for `blocks` blocks (grown by doubling, contents kept). */
  #level(j: number, size: number, blocks: number): Level {
    let level = this.#levels[j];
    if (!level || level.altMin.length < blocks) {
      const capacity = Math.max(64, blocks * 2);
      const grow = (old: Uint32Array | undefined) => {
        const bigger = new Uint32Array(capacity);
        if (old) bigger.set(old);
        return bigger;
      };
      level = { size, altMin: grow(level?.altMin), altMax: grow(level?.altMax), vsMin: grow(level?.vsMin), vsMax: grow(level?.vsMax) };
      this.#levels[j] = level;
    }
    return level;
  }

  #fromRows(level: Level, b: number): void {
    const { altitude, verticalSpeed } = this.#rows;
    const start = b * level.size;
    const end = Math.min(start + level.size, this.#rows.length);
    level.altMin[b] = extreme(altitude, start, end, -1);
    level.altMax[b] = extreme(altitude, start, end, 1);
    level.vsMin[b] = extreme(verticalSpeed, start, end, -1);
    level.vsMax[b] = extreme(verticalSpeed, start, end, 1);
  }

  #fromChildren(level: Level, below: Level, b: number): void {
    const { altitude, verticalSpeed } = this.#rows;
    const left = 2 * b;
    const right = left + 1 < Math.ceil(this.#rows.length / below.size) ? left + 1 : left;
    level.altMin[b] = pick(altitude, below.altMin[left], below.altMin[right], -1);
    level.altMax[b] = pick(altitude, below.altMax[left], below.altMax[right], 1);
    level.vsMin[b] = pick(verticalSpeed, below.vsMin[left], below.vsMin[right], -1);
    level.vsMax[b] = pick(verticalSpeed, below.vsMax[left], below.vsMax[right], 1);
  }
}

/** The row in [start, end) with the lowest (sign -1) or highest (sign 1) value; NaN (no value) loses to any number. */
function extreme(values: Float64Array, start: number, end: number, sign: number): number {
  let best = start;
  for (let i = start + 1; i < end; i++) {
    const v = values[i];
    const b = values[best];
    if (b !== b || (v === v && (v - b) * sign > 0)) best = i;
  }
  return best;
}

function pick(values: Float64Array, a: number, b: number, sign: number): number {
  const va = values[a];
  const vb = values[b];
  return va !== va || (vb === vb && (vb - va) * sign > 0) ? b : a;
}

function reserve(out: Decimated, points: number): void {
  if (out.time.length >= points) return;
  const capacity = Math.max(points, out.time.length * 2);
  out.time = new Float64Array(capacity);
  out.altitude = new Float64Array(capacity);
  out.verticalSpeed = new Float64Array(capacity);
}
