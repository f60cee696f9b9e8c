// Runs inside the ground station page (injected by host/bench/ground-station.ts): fills the page's
// own flight store with 24 hours at 1 Hz and times what one update costs, ours beside a reference.
//
// One "update" is what a telemetry message leads to: the reading goes into the store and the plot is
// redrawn. The time runs from before the add to after the canvas has really been painted: reading one
// pixel back makes Chromium rasterize the drawing it would otherwise defer, so that cost is counted.
//
// Two references, on the same canvas size with the same look: the previous design of our chart
// (uPlot given every reading in the store) and the way dashboards usually feed a chart (every
// message kept as a parsed object, the chart's arrays rebuilt from them on each update).
import type uPlot from 'uplot';
import { plotLook, type FlightChart } from '../../web/page/chart';
import type { FlightStore, Reading } from '../../web/page/flight-store';
import type { Decimated } from '../../web/page/min-max-index';
import type { FrameResults } from '../frame-results';

interface Page {
  uPlot: typeof uPlot;
  store: FlightStore;
  chart: FlightChart;
}

const DAY_S = 86_400;

/** Deterministic noise in [-1, 1) (a linear congruential generator on the index). */
const noise = (i: number) => (((Math.imul(i + 1, 1_103_515_245) + 12_345) >>> 0) / 2 ** 31) - 1;

/**
 * A day-long flight with the texture of the node's telemetry: a slow rise and fall to 1,500 m, a
 * ten-minute oscillation of ±30 m while floating, and sensor noise of about ±0.3 m and ±0.1 m/s on
 * every reading (what the Kalman filter leaves in `npm start`'s telemetry).
 */
function reading(i: number, startMs: number): Reading {
  const w = (2 * Math.PI) / 600;
  const alt = 1500 * Math.sin((Math.PI * i) / DAY_S) + 30 * Math.sin(w * i) + 0.3 * noise(i);
  const vs = ((1500 * Math.PI) / DAY_S) * Math.cos((Math.PI * i) / DAY_S) + 30 * w * Math.cos(w * i) + 0.1 * noise(i + DAY_S);
  return { seq: i + 1, ts: startMs + i * 1000, alt, vs, p: 101325 - alt * 12, t: 15 - alt * 0.0065, q: 'ok' };
}

const nextFrame = () => new Promise<number>((resolve) => requestAnimationFrame(resolve));

function stats(times: number[]): FrameResults[string]['ours'] {
  const sorted = [...times].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], p99: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] };
}

const startMs = Date.now() - DAY_S * 1000;

/** Puts 24 hours at 1 Hz into the page's store, as 86,400 telemetry messages would. */
export function fillDay(): number {
  const { store, chart } = (globalThis as unknown as { groundStation: Page }).groundStation;
  for (let i = 0; i < DAY_S; i++) store.add(reading(i, startMs));
  chart.render();
  return store.length;
}


/** Times `draw` (then forces the canvas to be painted), at the start of a frame of its own. */
async function timed(canvas: CanvasRenderingContext2D, draw: () => void): Promise<number> {
  await nextFrame();
  const started = performance.now();
  draw();
  canvas.getImageData(0, 0, 1, 1);
  return performance.now() - started;
}

/**
 * Each step is timed four ways, interleaved frame by frame so that the machine's load hits all
 * alike: ours (the page's chart: only what is in view, min/max per pixel column, redrawn only when
 * the picture changes), the same without skipping any redraw (the first of those two steps alone),
 * the previous design (the same uPlot given every reading in the store, straight from its typed
 * arrays), and the reference (a dashboard's way: every message kept as an object, the arrays
 * rebuilt each time).
 */
export async function runFrameBench(updates: number): Promise<FrameResults> {
  const gs = (globalThis as unknown as { groundStation: Page }).groundStation;
  const { store, chart } = gs;
  const plotHost = (element: HTMLElement) => (document.getElementById('chart')!.after(element), element);
  const look = plotLook(chart.plot.width);
  const previous = new gs.uPlot(look, [[], [], []], plotHost(document.createElement('div')));
  const decimated = new gs.uPlot(look, [[], [], []], plotHost(document.createElement('div')));
  let scratch: Decimated = { time: new Float64Array(0), altitude: new Float64Array(0), verticalSpeed: new Float64Array(0), length: 0 };
  // The time range every way draws this round (ours takes it through its own view, see measure()).
  let view = chart.range();
  const drawDecimated = () => {
    const { min, max } = view;
    const from = Math.max(0, store.indexAt(min) - 1);
    const to = Math.min(store.length, store.indexAt(max) + 1);
    const d = (scratch = store.summary.decimate(from, to, Math.round(decimated.bbox.width), scratch));
    decimated.batch(() => {
      decimated.setData([d.time.subarray(0, d.length), d.altitude.subarray(0, d.length), d.verticalSpeed.subarray(0, d.length)] as unknown as uPlot.AlignedData, false);
      decimated.setScale('x', { min, max });
    });
  };
  const naive = new gs.uPlot(look, [[], [], []], plotHost(document.createElement('div')));
  const messages: Reading[] = [];
  for (let i = 0; i < DAY_S; i++) messages.push(reading(i, startMs));
  const drawPrevious = () => {
    const n = store.length;
    const { min, max } = view;
    previous.batch(() => {
      previous.setData([store.time.subarray(0, n), store.altitude.subarray(0, n), store.verticalSpeed.subarray(0, n)] as unknown as uPlot.AlignedData, false);
      previous.setScale('x', { min, max });
    });
  };
  const drawNaive = () => {
    const { min, max } = view;
    naive.batch(() => {
      naive.setData([messages.map((m) => m.ts / 1000), messages.map((m) => m.alt), messages.map((m) => m.vs)], false);
      naive.setScale('x', { min, max });
    });
  };

  const results: FrameResults = {};
  /**
   * `step` is an update (a reading arrives; the view follows it) or a move of the view (it returns
   * the new range). Ours takes a move inside its timed frame, as a click does: set before, the page's
   * own frame would draw it first and leave our timed render nothing to do.
   */
  const measure = async (name: string, step: (k: number) => { min: number; max: number } | void) => {
    const times = { ours: [] as number[], decimated: [] as number[], previous: [] as number[], reference: [] as number[] };
    let move: { min: number; max: number } | void;
    const drawOurs = () => {
      if (move) chart.setView({ follow: false, ...move });
      chart.render();
    };
    const variants: [keyof typeof times, CanvasRenderingContext2D, () => void][] = [
      ['ours', chart.plot.ctx, drawOurs],
      ['decimated', decimated.ctx, drawDecimated],
      ['previous', previous.ctx, drawPrevious],
      ['reference', naive.ctx, drawNaive],
    ];
    for (let k = 0; k < updates; k++) {
      move = step(k);
      view = move ?? chart.range();
      // Each round starts with another one, so that none is always first after the step (or after
      // the reference's garbage).
      for (let v = 0; v < variants.length; v++) {
        const [name, canvas, draw] = variants[(k + v) % variants.length];
        times[name].push(await timed(canvas, draw));
      }
    }
    results[name] = { ours: stats(times.ours), decimated: stats(times.decimated), previous: stats(times.previous), reference: stats(times.reference) };
  };

  // One update: a telemetry message arrives (the store takes it; the reference keeps its object).
  let next = DAY_S;
  const arrive = () => {
    const r = reading(next++, startMs);
    store.add(r);
    messages.push(r);
  };
  chart.follow(600);
  await measure('update, follow 10 min', arrive);
  chart.follow(Infinity);
  await measure('update, whole flight', arrive);
  // Scrolling and zooming over the whole day: one step of each, then the frame it needs.
  const t0 = startMs / 1000;
  await measure('scroll (pan 10 % of a 1 h view)', (k) => ({ min: t0 + k * 360, max: t0 + k * 360 + 3600 }));
  await measure('zoom (24 h ↔ 10 min)', (k) => ({ min: t0 + (k % 2 ? 43_200 : 0), max: t0 + (k % 2 ? 43_800 : DAY_S) }));
  previous.destroy();
  decimated.destroy();
  naive.destroy();
  return results;
}

/** The flight as the page holds it, and as one object per reading would hold it (built here, measured by the caller). */
export function buildReferenceObjects(): number {
  const gs = (globalThis as unknown as { groundStation: Page & { referenceObjects?: Reading[] } }).groundStation;
  const { store } = gs;
  const objects: Reading[] = [];
  for (let i = 0; i < store.length; i++) {
    // What JSON.parse of each telemetry payload gives a dashboard that keeps its messages.
    objects.push(JSON.parse(`{"seq":${store.seq[i]},"ts":${Math.round(store.time[i] * 1000)},"alt":${store.altitude[i].toFixed(1)},"vs":${store.verticalSpeed[i].toFixed(2)},"p":${store.pressure[i].toFixed(1)},"t":${store.temperature[i].toFixed(2)},"q":"ok"}`) as Reading);
  }
  gs.referenceObjects = objects;
  return objects.length;
}
