// The ground station page in Chromium: what one update costs with a whole day (86,400 points) in
// memory, scrolling and zooming over it; the page's memory over 24 simulated hours of the node's
// telemetry; and what `npm start -- --speed 1000` itself delivers. Each figure is measured in the
// page; the references are measured in the same page in the same run (page/frame-bench.ts).
import { spawn } from 'node:child_process';
import os from 'node:os';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { accountFor, generateAccounts, SEATS, seatAccounts } from '../broker/accounts';
import { startEmbeddedBroker } from '../embedded-broker';
import { chromiumPath, CHROMIUM_MISSING, launchChromium } from '../web/chromium';
import { startWebServer } from '../web/server';
import type { FrameResults } from './frame-results';
import { connectPublisher, recordFlight } from './recorded-flight';
import { printTable, type Row } from './report';

const UPDATES = 300;
const DAY_S = 86_400;
const MB = 1024 * 1024;

async function injectBench(page: Page): Promise<void> {
  const bundle = await build({
    entryPoints: [new URL('./page/frame-bench.ts', import.meta.url).pathname],
    bundle: true, format: 'iife', globalName: 'frameBench', platform: 'browser', write: false, logLevel: 'silent',
  });
  await page.addScriptTag({ content: bundle.outputFiles[0].text });
}

/**
 * Memory in use after a full garbage collection, from the page's own engine: the JavaScript heap,
 * the DOM's (embedder) heap, and array buffers' backing stores (where typed arrays keep their bytes,
 * outside the JavaScript heap: leaving them out would flatter the columnar store).
 */
async function heapUsed(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize, embedderHeapUsedSize, backingStorageSize } = await cdp.send('Runtime.getHeapUsage');
  await cdp.detach();
  return usedSize + embedderHeapUsedSize + backingStorageSize;
}

/**
 * After a table: which of its frame-time goals ("≤ N ms") our figures meet, said in words, with the
 * load they were measured under (a figure over its goal on a machine shared by many is still a miss).
 */
function printVerdict(rows: Row[]): void {
  const judged = rows.filter((row) => row.goal?.startsWith('≤ '));
  const missed = judged.filter((row) => row.ours > Number.parseFloat(row.goal!.slice(2)));
  const load = `load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`;
  if (missed.length === 0) process.stdout.write(`goals: all ${judged.length} met (${load})\n`);
  else process.stdout.write(`goals: ${missed.length} of ${judged.length} NOT met (${load}): ${missed.map((row) => `${row.name.trim()} ${row.ours.toFixed(1)} ms > ${row.goal}`).join('; ')}\n`);
}

const connected = (page: Page) => page.locator('#link[data-state="connected"]').waitFor({ timeout: 30_000 });

export async function benchGroundStation(): Promise<void> {
  if (!chromiumPath()) {
    process.stdout.write(`\nGround station page: skipped (${CHROMIUM_MISSING})\n`);
    return;
  }
  const browser = await launchChromium();
  try {
    await frameTimes(browser);
    await daylongHeap(browser);
    await liveRunRate(browser);
  } finally {
    await browser.close();
  }
}

async function frameTimes(browser: Awaited<ReturnType<typeof launchChromium>>): Promise<void> {
  const accounts = generateAccounts(['bench'], SEATS.page);
  const broker = await startEmbeddedBroker({ access: { fleet: ['bench'], accounts } });
  const web = await startWebServer({ port: 0, deviceId: 'bench', wsUrl: broker.wsUrl, accounts: seatAccounts({ accounts }, SEATS.page) });
  try {
    // The page's CSP refuses inline scripts; the bench's own is injected past it.
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, bypassCSP: true });
    await page.goto(`${web.url}?party=crew`);
    await connected(page);
    await injectBench(page);
    const before = await heapUsed(page);
    const points = await page.evaluate('frameBench.fillDay()');
    const withDay = await heapUsed(page);
    await page.evaluate('frameBench.buildReferenceObjects()');
    const withObjects = await heapUsed(page);
    const results = (await page.evaluate(`frameBench.runFrameBench(${UPDATES})`)) as FrameResults;
    const rows: Row[] = [];
    for (const [name, { ours, decimated, previous, reference }] of Object.entries(results)) {
      rows.push({ name: `${name}: median`, ours: ours.median, reference: reference.median, unit: 'ms', better: 'lower', goal: '≤ 4 ms' });
      rows.push({ name: `${name}: p99`, ours: ours.p99, reference: reference.p99, unit: 'ms', better: 'lower', goal: '≤ 16 ms' });
      // The steps, each against the one before it: every reading → what is in view, min/max per
      // column → and redrawn only when the picture changes.
      rows.push({ name: `  step 1, in view per column vs every reading: median`, ours: decimated.median, reference: previous.median, unit: 'ms', better: 'lower' });
      rows.push({ name: `  step 1: p99`, ours: decimated.p99, reference: previous.p99, unit: 'ms', better: 'lower' });
      rows.push({ name: `  step 2, redraw only on change vs step 1: median`, ours: ours.median, reference: decimated.median, unit: 'ms', better: 'lower' });
      rows.push({ name: `  step 2: p99`, ours: ours.p99, reference: decimated.p99, unit: 'ms', better: 'lower' });
    }
    rows.push({ name: `heap for ${Number(points).toLocaleString('en-US')} readings`, ours: (withDay - before) / MB, reference: (withObjects - withDay) / MB, unit: 'MB', better: 'lower' });
    printTable(`Ground station page in Chromium: ${Number(points).toLocaleString('en-US')} points (24 h at 1 Hz), ${UPDATES} frames each; reference: the same uPlot fed from one object per message; steps: the same uPlot given every reading in the store (the page's previous design), then only what is in view (load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores)`, rows);
    printVerdict(rows);
    await page.close();
  } finally {
    await web.close();
    await broker.close();
  }
}

/**
 * 24 simulated hours into the crew's page: the node's telemetry for a day (recorded-flight.ts says
 * why it is recorded rather than produced live), published through the embedded broker as fast as
 * QoS 1 goes; the page's memory every 4 simulated hours, and its frame times meanwhile.
 */
async function daylongHeap(browser: Awaited<ReturnType<typeof launchChromium>>): Promise<void> {
  const deviceId = 'sensor1';
  const accounts = generateAccounts([deviceId], SEATS.page);
  const broker = await startEmbeddedBroker({ access: { fleet: [deviceId], accounts } });
  const web = await startWebServer({ port: 0, deviceId, wsUrl: broker.wsUrl, accounts: seatAccounts({ accounts }, SEATS.page) });
  const device = accountFor({ accounts }, 'device', deviceId)!;
  const publisher = await connectPublisher(broker.port, device.username, device.password);
  try {
    const payloads = recordFlight(DAY_S, Date.now() - DAY_S * 1000);
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, bypassCSP: true });
    await page.goto(`${web.url}?party=crew`);
    await connected(page);
    const rows: Row[] = [];
    const samples: { hours: number; heap: number; readings: number }[] = [];
    const startedMs = Date.now();
    for (let hours = 4; hours <= 24; hours += 4) {
      await publisher.send(`${deviceId}/telemetry`, payloads, ((hours - 4) * DAY_S) / 24, (hours * DAY_S) / 24);
      await page.waitForFunction(`globalThis.groundStation.store.length >= ${(hours * DAY_S) / 24}`, undefined, { timeout: 300_000, polling: 200 });
      samples.push({ hours, heap: await heapUsed(page), readings: (await page.evaluate('globalThis.groundStation.store.length')) as number });
    }
    const feedS = (Date.now() - startedMs) / 1000;
    await injectBench(page);
    const last = samples[samples.length - 1];
    await page.evaluate('frameBench.buildReferenceObjects()');
    const withObjects = await heapUsed(page);
    const frames = (await page.evaluate('globalThis.groundStation.frameMs.slice()')) as number[];
    frames.sort((a, b) => a - b);
    for (const s of samples) {
      rows.push({ name: `page memory after ${s.hours} h (${s.readings.toLocaleString('en-US')} readings in memory)`, ours: s.heap / MB, reference: s === last ? withObjects / MB : undefined, unit: 'MB', better: 'lower' });
    }
    const storeBytes = (await page.evaluate('globalThis.groundStation.store.bytes')) as number;
    rows.push({ name: `memory growth 4 h → 24 h, beside the flight store's own bytes`, ours: (last.heap - samples[0].heap) / MB, reference: storeBytes / MB, unit: 'MB', better: 'lower', goal: 'flat: the data only' });
    rows.push({ name: `frame (readouts + plot) during the feed: median`, ours: frames[Math.floor(frames.length / 2)], reference: undefined, unit: 'ms', better: 'lower', goal: '≤ 4 ms' });
    rows.push({ name: `frame during the feed: p99`, ours: frames[Math.floor(frames.length * 0.99)], reference: undefined, unit: 'ms', better: 'lower', goal: '≤ 16 ms' });
    printTable(
      `Ground station page, 24 simulated hours: the node's telemetry for a day (86,400 readings) through the embedded broker at full QoS 1 rate, ${Math.round(DAY_S / feedS)} readings/s (${Math.round(DAY_S / feedS)}× real time); reference at 24 h: the same readings also kept as one object each (load average ${os.loadavg()[0].toFixed(1)})`,
      rows,
    );
    printVerdict(rows);
    await page.close();
  } finally {
    publisher.end();
    await web.close();
    await broker.close();
  }
}

/**
 * What `npm start -- --speed 1000` itself delivers to the page in a minute: readings received beside
 * the simulated seconds that passed (one reading each at the default 1 s interval).
 */
async function liveRunRate(browser: Awaited<ReturnType<typeof launchChromium>>): Promise<void> {
  const wallS = 60;
  const sim = spawn('node_modules/.bin/tsx', ['host/simulate.ts', '--speed', '1000', '--web-port', '0', '--duration', String(wallS + 30)], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      sim.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const match = /ground station: (\S+)/.exec(out);
        if (match) resolve(match[1]);
      });
      sim.once('exit', (code) => reject(new Error(`npm start exited (${code})`)));
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(`${url}?party=crew`);
    await connected(page);
    const count = () => page.evaluate('[globalThis.groundStation.store.length, globalThis.groundStation.store.time[0], globalThis.groundStation.store.time[globalThis.groundStation.store.length - 1]]') as Promise<[number, number, number]>;
    const [before] = await count();
    await page.waitForTimeout(wallS * 1000);
    const [after, first, last] = await count();
    printTable(`npm start -- --speed 1000 for ${wallS} s with the crew's page open (load average ${os.loadavg()[0].toFixed(1)})`, [
      { name: `readings the page received in ${wallS} s, beside the simulated seconds of its flight`, ours: after - before, reference: Math.round(last - first), unit: '', better: 'higher', goal: 'one a simulated second' },
    ]);
    await page.close();
  } finally {
    sim.kill('SIGINT');
  }
}
