// The live altitude plot (with vertical speed) over the whole flight in memory, drawn by uPlot. What
// it is given is only what the view shows, at most a few points per pixel column: every reading
// when there are few enough, else each block's minimum and maximum (min-max-index.ts), so peaks
// survive and a day of 86,400 readings costs what a few thousand do, at any zoom.
//
// Altitude is a thick line and vertical speed a thin one (not only two colours). Not dashed: a dash
// pattern over a day of noisy points made Chromium's software rasterizer five times slower.
//
// The view follows the newest reading over a span (10 min, 1 h, the whole flight) or stays where
// the user put it (drag to zoom, wheel, buttons, keys). It is drawn at most once per frame, and only
// when what it shows changed (same-drawing.ts).
import uPlot from 'uplot';
import type { FlightStore } from './flight-store';
import { clockTime } from './format';
import type { Decimated } from './min-max-index';
import { LEAST_RANGE, sameDrawing, valueRange } from './same-drawing';

export type ChartView = { follow: true; spanS: number } | { follow: false; min: number; max: number };

const MIN_SPAN_S = 30;

/** An auto range that never shrinks below `least` (sensor noise on the ground is not a flight). */
const atLeast = (least: number) => (_u: uPlot, min: number | null, max: number | null): uPlot.Range.MinMax => valueRange(min ?? NaN, max ?? NaN, least);

const axisFont = '600 14px system-ui, sans-serif';
const ALTITUDE_COLOUR = '#0033a0';
const VS_COLOUR = '#a00000';

/** How the plot looks: size, scales, the two lines and the axes (also what the benchmark's reference plots use). */
export function plotLook(width: number): Pick<uPlot.Options, 'width' | 'height' | 'scales' | 'series' | 'axes'> {
  return {
    width,
    height: 340,
    scales: { x: { time: true }, alt: { auto: true, range: atLeast(LEAST_RANGE.altitude) }, vs: { auto: true, range: atLeast(LEAST_RANGE.verticalSpeed) } },
    series: [
      { label: 'time', value: (_u, v) => (v == null ? '—' : clockTime(v * 1000)) },
      { label: 'altitude', scale: 'alt', stroke: ALTITUDE_COLOUR, width: 2.5, value: (_u, v) => (v == null || v !== v ? '—' : `${v.toFixed(1)} m`), points: { show: false } },
      { label: 'vertical speed', scale: 'vs', stroke: VS_COLOUR, width: 1, value: (_u, v) => (v == null || v !== v ? '—' : `${v >= 0 ? '+' : ''}${v.toFixed(2)} m/s`), points: { show: false } },
    ],
    axes: [
      { stroke: '#000', font: axisFont, grid: { stroke: '#ccc' }, ticks: { stroke: '#000' }, space: 90, values: (_u, splits) => splits.map((s) => clockTime(s * 1000)) },
      { scale: 'alt', label: 'altitude (m), thick line', stroke: '#000', font: axisFont, labelFont: axisFont, grid: { stroke: '#ccc' }, size: 64 },
      { scale: 'vs', side: 1, label: 'vertical speed (m/s), thin line', stroke: '#000', font: axisFont, labelFont: axisFont, grid: { show: false }, size: 64 },
    ],
  };
}

const emptyDecimated = (): Decimated => ({ time: new Float64Array(0), altitude: new Float64Array(0), verticalSpeed: new Float64Array(0), length: 0 });

export class FlightChart {
  readonly plot: uPlot;
  readonly #store: FlightStore;
  readonly #onView: (view: ChartView) => void;
  #view: ChartView = { follow: true, spanS: 600 };
  #drawnVersion = -1;
  #dirty = true;
  /** What the plot shows now, and the buffer the next render decimates into (the two swap). */
  #drawn: Decimated = emptyDecimated();
  #next: Decimated = emptyDecimated();
  #shownRange = { min: NaN, max: NaN };

  constructor(container: HTMLElement, store: FlightStore, onView: (view: ChartView) => void) {
    this.#store = store;
    this.#onView = onView;
    this.plot = new uPlot(
      {
        ...plotLook(Math.max(320, container.clientWidth)),
        cursor: { drag: { x: true, y: false, setScale: false } },
        legend: { live: true },
        hooks: {
          setSelect: [
            (u) => {
              if (u.select.width < 4) return;
              const min = u.posToVal(u.select.left, 'x');
              const max = u.posToVal(u.select.left + u.select.width, 'x');
              u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
              this.setView({ follow: false, min, max });
            },
          ],
        },
      },
      [[], [], []],
      container,
    );
    this.plot.over.addEventListener('dblclick', () => this.follow(this.spanS()));
    this.plot.over.addEventListener(
      'wheel',
      (event) => {
        event.preventDefault();
        const rect = this.plot.over.getBoundingClientRect();
        this.zoom(event.deltaY > 0 ? 1.25 : 0.8, (event.clientX - rect.left) / rect.width);
      },
      { passive: false },
    );
    new ResizeObserver(() => {
      this.plot.setSize({ width: Math.max(320, container.clientWidth), height: 340 });
      this.#dirty = true;
    }).observe(container);
  }

  get view(): ChartView {
    return this.#view;
  }

  setView(view: ChartView): void {
    this.#view = view;
    this.#dirty = true;
    this.#onView(view);
  }

  /** Follows the newest reading over `spanS` seconds (Infinity: the whole flight). */
  follow(spanS: number): void {
    this.setView({ follow: true, spanS });
  }

  /** The x range shown now, in seconds since the epoch. */
  range(): { min: number; max: number } {
    const store = this.#store;
    const n = store.length;
    const first = n > 0 ? store.time[0] : 0;
    const last = n > 0 ? store.time[n - 1] : 1;
    if (!this.#view.follow) return { min: this.#view.min, max: this.#view.max };
    if (this.#view.spanS === Infinity) {
      // The right edge moves by whole pixel columns (of a power-of-two number of seconds), not with
      // every reading: a reading that changes nothing visible then changes nothing drawn.
      const span = Math.max(last - first, MIN_SPAN_S);
      const step = 2 ** Math.ceil(Math.log2(Math.max(1, span / this.#columns())));
      return { min: first, max: first + Math.ceil(span / step) * step };
    }
    return { min: last - this.#view.spanS, max: last };
  }

  spanS(): number {
    const { min, max } = this.range();
    return max - min;
  }

  /** Zooms by `factor` (>1 out, <1 in) around a point `at` (0 left … 1 right of the plot). */
  zoom(factor: number, at = 1): void {
    const { min, max } = this.range();
    const span = Math.max(MIN_SPAN_S, (max - min) * factor);
    if (this.#view.follow && at > 0.9) {
      this.follow(span);
      return;
    }
    const pivot = min + (max - min) * at;
    this.setView({ follow: false, min: pivot - span * at, max: pivot + span * (1 - at) });
  }

  /** Moves the view by `fraction` of its width (negative: earlier). Reaching the newest follows it. */
  pan(fraction: number): void {
    const { min, max } = this.range();
    const shift = (max - min) * fraction;
    const n = this.#store.length;
    const last = n > 0 ? this.#store.time[n - 1] : max;
    if (max + shift >= last) this.follow(max - min);
    else this.setView({ follow: false, min: min + shift, max: max + shift });
  }

  /** The plot's width in canvas pixels: one column each. */
  #columns(): number {
    return Math.max(1, Math.round(this.plot.bbox.width));
  }

  /**
   * Draws when what the view shows changed since the last draw; returns whether it drew. A reading
   * that lands in the last pixel column within the values it already shows (most of them, with the
   * whole flight in view) changes nothing on screen, and costs no redraw.
   */
  render(): boolean {
    const store = this.#store;
    if (store.version === this.#drawnVersion && !this.#dirty) return false;
    const { min, max } = this.range();
    // The rows in view, and one more on each side so that the lines run to the edges.
    const from = Math.max(0, store.indexAt(min) - 1);
    const to = Math.min(store.length, store.indexAt(max) + 1);
    const d = store.summary.decimate(from, Math.max(from, to), this.#columns(), this.#next);
    this.#drawnVersion = store.version;
    const view = { min, max, columns: this.#columns(), rows: Math.max(1, Math.round(this.plot.bbox.height)) };
    if (!this.#dirty && min === this.#shownRange.min && max === this.#shownRange.max && sameDrawing(d, this.#drawn, view)) {
      this.#next = d;
      return false;
    }
    this.#next = this.#drawn; // double buffer: the next render decimates into the other one
    this.#drawn = d;
    this.#shownRange = { min, max };
    this.plot.batch(() => {
      this.plot.setData([d.time.subarray(0, d.length), d.altitude.subarray(0, d.length), d.verticalSpeed.subarray(0, d.length)] as unknown as uPlot.AlignedData, false);
      this.plot.setScale('x', { min, max });
    });
    this.#dirty = false;
    return true;
  }
}
