// Runs inside the ground station page (injected by host/bench/ground-station.ts): fills the page's
// own flight store with 24 hours at 1 Hz and times what one update costs, ours beside a reference.
//
// One "update" is what a telemetry message leads to: the reading goes into the store and the plot is
// redrawn. The time runs from before the add to after the canvas has really been painted: reading one
// pixel back makes Chromium rasterize the drawing it would otherwise defer, so that cost is counted.
//
// The reference is the same uPlot, on the same canvas size, fed the way dashboards usually are: every
// message kept as a parsed object, the chart's arrays rebuilt from them on each update.
import type uPlot from 'uplot';
import type { FlightChart } from '../../web/page/chart';
import type { FlightStore, Reading } from '../../web/page/flight-store';

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

function stats(times: number[]): { median: number; p99: number } {
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

export async function runFrameBench(updates: number): Promise<Record<string, { ours: { median: number; p99: number }; reference: { median: number; p99: number } }>> {
  const gs = (globalThis as unknown as { groundStation: Page }).groundStation;
  const { store, chart } = gs;
  const canvas = chart.plot.ctx;

  // The reference chart: same options as ours where it matters (size, two series, two scales).
  const host = document.createElement('div');
  document.getElementById('chart')!.after(host);
  const naive = new gs.uPlot(
    {
      width: chart.plot.width, height: chart.plot.height,
      scales: { x: { time: true } },
      series: [{}, { scale: 'alt', stroke: '#0033a0', width: 2.5 }, { scale: 'vs', stroke: '#a00000', width: 1 }],
      axes: [{}, { scale: 'alt' }, { scale: 'vs', side: 1 }],
    },
    [[], [], []],
    host,
  );
  const messages: Reading[] = [];
  for (let i = 0; i < DAY_S; i++) messages.push(reading(i, startMs));

  let next = DAY_S;
  const views: [string, () => void, (u: uPlot) => void][] = [
    ['follow 10 min', () => chart.follow(600), (u) => u.setScale('x', { min: u.data[0][u.data[0].length - 1] - 600, max: u.data[0][u.data[0].length - 1] })],
    ['whole flight', () => chart.follow(Infinity), () => {}],
  ];
  const results: Record<string, { ours: { median: number; p99: number }; reference: { median: number; p99: number } }> = {};
  for (const [name, ourView, referenceView] of views) {
    ourView();
    chart.render();
    const ours: number[] = [];
    const reference: number[] = [];
    for (let k = 0; k < updates; k++) {
      await nextFrame();
      const r = reading(next++, startMs);
      let started = performance.now();
      store.add(r);
      chart.render();
      canvas.getImageData(0, 0, 1, 1);
      ours.push(performance.now() - started);

      await nextFrame();
      started = performance.now();
      messages.push(r);
      naive.batch(() => {
        naive.setData([messages.map((m) => m.ts / 1000), messages.map((m) => m.alt), messages.map((m) => m.vs)]);
        referenceView(naive);
      });
      naive.ctx.getImageData(0, 0, 1, 1);
      reference.push(performance.now() - started);
    }
    results[`update, ${name}`] = { ours: stats(ours), reference: stats(reference) };
  }

  // Scrolling and zooming over the whole day: one step of each, then the frame it needs.
  const interactions: [string, (k: number) => void, (k: number) => void][] = [
    ['scroll (pan 10 % of a 1 h view)', (k) => chart.setView({ follow: false, min: startMs / 1000 + k * 360, max: startMs / 1000 + k * 360 + 3600 }),
      (k) => naive.setScale('x', { min: startMs / 1000 + k * 360, max: startMs / 1000 + k * 360 + 3600 })],
    ['zoom (24 h ↔ 10 min)', (k) => chart.setView({ follow: false, min: startMs / 1000 + (k % 2 ? 43_200 : 0), max: startMs / 1000 + (k % 2 ? 43_800 : DAY_S) }),
      (k) => naive.setScale('x', { min: startMs / 1000 + (k % 2 ? 43_200 : 0), max: startMs / 1000 + (k % 2 ? 43_800 : DAY_S) })],
  ];
  for (const [name, ourStep, referenceStep] of interactions) {
    const ours: number[] = [];
    const reference: number[] = [];
    for (let k = 0; k < updates; k++) {
      await nextFrame();
      let started = performance.now();
      ourStep(k);
      chart.render();
      canvas.getImageData(0, 0, 1, 1);
      ours.push(performance.now() - started);
      await nextFrame();
      started = performance.now();
      naive.batch(() => referenceStep(k));
      naive.ctx.getImageData(0, 0, 1, 1);
      reference.push(performance.now() - started);
    }
    results[name] = { ours: stats(ours), reference: stats(reference) };
  }
  naive.destroy();
  host.remove();
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
