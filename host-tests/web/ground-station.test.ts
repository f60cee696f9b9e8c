// The ground station page in a real browser (Debian's Chromium, driven by playwright-core), against
// `npm start` as a user runs it: with its embedded broker (every party logged in with its own page
// account), with --broker against a Mosquitto running the generated private configuration, and
// against an open Mosquitto that is restarted under it. What the page knows is read from the page
// itself (window.groundStation); what the broker sent it, from its WebSocket frames (MQTT decoded).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Packet } from '../../src/mqtt/codec';
import { PacketDecoder } from '../../src/mqtt/codec';
import { chromiumForTests, launchChromium, type Browser } from '../support/chromium';
import { waitUntil } from '../support/deadline';
import { startMosquitto, type Mosquitto } from '../support/mosquitto';
import { startGeneratedMosquitto, type SecuredBroker } from '../support/secured-brokers';
import { startSimulation, type Simulation } from '../support/simulation';

const haveChromium = chromiumForTests();

interface Opened {
  page: Page;
  context: BrowserContext;
  /** Every URL the page asked for: documents, scripts, fetches and WebSockets. */
  requests: string[];
  errors: string[];
  /** The MQTT packets on the page's WebSocket(s): what it sent and what the broker sent it. */
  sent: Packet[];
  received: Packet[];
}

/** Decodes the MQTT packets in one WebSocket's binary frames, in one direction, into `packets`. */
function mqttDecoder(packets: Packet[], errors: string[]): (payload: string | Buffer) => void {
  const decoder = new PacketDecoder();
  return (payload) => {
    if (typeof payload === 'string') return void errors.push(`a text frame: ${payload.slice(0, 40)}`);
    try {
      decoder.push(new Uint8Array(payload), (p) => void packets.push(p));
    } catch (error) {
      errors.push(`undecodable MQTT: ${(error as Error).message}`);
      decoder.reset();
    }
  };
}

async function open(browser: Browser, url: string, party: string): Promise<Opened> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  const sent: Packet[] = [];
  const received: Packet[] = [];
  page.on('websocket', (ws) => {
    requests.push(ws.url());
    // A decoder per connection: a reconnect starts a new stream.
    const send = mqttDecoder(sent, errors);
    const receive = mqttDecoder(received, errors);
    ws.on('framesent', ({ payload }) => send(payload));
    ws.on('framereceived', ({ payload }) => receive(payload));
  });
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
  await page.goto(`${url}?party=${party}`);
  return { page, context, requests, errors, sent, received };
}

const publishedTopics = (packets: Packet[]) => packets.flatMap((p) => (p.type === 'publish' ? [p.topic] : []));
const loginOf = (packets: Packet[]) => packets.find((p) => p.type === 'connect')?.username;
/** The return codes the broker gave to the page's SUBSCRIBE of `filter`. */
function subackFor(opened: Opened, filter: string): number[] | undefined {
  const subscribe = opened.sent.find((p) => p.type === 'subscribe' && p.subscriptions.some((s) => s.filter === filter));
  if (subscribe?.type !== 'subscribe') return undefined;
  const suback = opened.received.find((p) => p.type === 'suback' && p.packetId === subscribe.packetId);
  return suback?.type === 'suback' ? suback.granted : undefined;
}

type Hooks = {
  store: { length: number; missing: number; duplicates: number; seq: Float64Array; altitude: Float64Array };
  emergencyTimings: { kind: string; arrivalMs: number; shownMs: number; visible: boolean }[];
  link: { state: { kind: string } };
};
const hooks = <T>(page: Page, read: (gs: Hooks) => T): Promise<T> =>
  page.evaluate(`(${read.toString()})(globalThis.groundStation)`) as Promise<T>;
/** Waits until the big altitude number is above `metres` (read from the page as a user sees it). */
async function altitudeAbove(page: Page, metres: number, timeoutMs: number): Promise<number> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const shown = Number(await page.locator('#altitude').textContent());
    if (shown > metres) return shown;
    if (Date.now() > end) throw new Error(`the altitude shown stayed at ${shown} m, not above ${metres} m`);
    await page.waitForTimeout(100);
  }
}
const storeLength = (page: Page) => hooks(page, (gs) => gs.store.length);

/** The screenshot in the README, taken again when the page's sources change (their hash is kept beside it). */
function pageSourcesHash(): string {
  const hash = createHash('sha256');
  for (const dir of ['host/web/page', 'src/platform/web']) {
    for (const file of readdirSync(dir).sort()) hash.update(file).update(readFileSync(path.join(dir, file)));
  }
  return hash.digest('hex');
}

describe.skipIf(!haveChromium)('the ground station page in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  describe('npm start with its embedded broker', () => {
    let sim: Simulation;
    beforeAll(async () => {
      sim = await startSimulation(['--speed', '60']);
    });
    afterAll(async () => {
      await sim?.stop();
    });

    it('loads with no request leaving 127.0.0.1, shows the altitude climbing, and the crew ping round-trips', async () => {
      const { page, context, requests, errors } = await open(browser, sim.url, 'crew');
      await page.locator('#link[data-state="connected"]').waitFor({ timeout: 20_000 });
      // The balloon leaves the ground after 5 simulated minutes (5 s here): the big number climbs.
      const first = await altitudeAbove(page, 20, 30_000);
      await altitudeAbove(page, first + 20, 30_000);
      expect(await page.locator('#phase').textContent()).toBe('climbing');

      await page.locator('#cmd-ping').click();
      const reply = page.locator('#command-list li[data-outcome="ok"]');
      await reply.waitFor({ timeout: 15_000 });
      const line = (await reply.textContent())!;
      const id = /\(id (gs-[\w-]+)\)/.exec(line)?.[1];
      expect(id).toBeDefined();
      expect(line).toMatch(/ping .*: ✔ ok: uptimeS \d+, seq \d+, outbox \d+/);

      // Mid-flight, the whole flight in view: the README's picture.
      await altitudeAbove(page, 900, 60_000);
      await page.getByRole('button', { name: 'Whole flight' }).click();
      await page.waitForTimeout(500);
      const shot = await page.screenshot({ fullPage: true });
      mkdirSync('build', { recursive: true });
      writeFileSync('build/ground-station.png', shot);
      const hash = pageSourcesHash();
      const hashFile = 'docs/ground-station.png.sources';
      if (process.env.UPDATE_SCREENSHOT || !existsSync(hashFile) || readFileSync(hashFile, 'utf8').trim() !== hash) {
        mkdirSync('docs', { recursive: true });
        writeFileSync('docs/ground-station.png', shot);
        writeFileSync(hashFile, `${hash}\n`);
      }

      const hosts = new Set(requests.map((u) => new URL(u).hostname));
      expect([...hosts]).toEqual(['127.0.0.1']);
      expect(requests.some((u) => u.startsWith('ws://127.0.0.1:'))).toBe(true);
      expect(errors).toEqual([]);
      await context.close();
    });

    it("the news station's page logs in with its own account and the broker refuses it the altitude, whatever the page asks", async () => {
      const news = await open(browser, sim.url, 'news-station');
      const crew = await open(browser, sim.url, 'crew');
      const { page, context, errors } = news;
      await page.locator('#link[data-state="connected"]').waitFor({ timeout: 20_000 });
      await crew.page.locator('#link[data-state="connected"]').waitFor({ timeout: 20_000 });
      expect(loginOf(news.sent)).toBe('news-station-2');
      expect(loginOf(crew.sent)).toBe('crew-2');
      // The page subscribes to what the policy lets the news station read; the test then makes the
      // page's own client ask for more, as a curious reporter with the browser's console would.
      expect(subackFor(news, 'sensor1/emergency')).toEqual([1]);
      await page.evaluate(`globalThis.groundStation.link.client.subscribe('sensor1/altitude', 1)`);
      await page.evaluate(`globalThis.groundStation.link.client.subscribe('sensor1/#', 1)`);
      const crewBefore = publishedTopics(crew.received).length;
      // The window: at least 3 s, and until the crew's page has had 10 altitudes since the asks (the
      // node publishes 60 readings a second; a loaded machine delivers them later, not fewer).
      const crewAltitudes = () => publishedTopics(crew.received).slice(crewBefore).filter((t) => t === 'sensor1/altitude').length;
      await page.waitForTimeout(3000);
      await waitUntil("10 altitudes at the crew's page", () => crewAltitudes() >= 10, { timeoutMs: 30_000 });
      expect(subackFor(news, 'sensor1/altitude')).toEqual([0x80]); // refused outright
      expect(subackFor(news, 'sensor1/#')).toEqual([1]); // granted: it covers the emergencies…
      expect(new Set(publishedTopics(news.received))).toEqual(new Set()); // …and the broker delivers nothing else (no emergency here), while the crew got the altitude
      expect(await page.locator('#emergency-none').textContent()).toBe('No emergency reported');
      for (const hidden of ['#altitude', '#vertical-speed', '#chart', '#commands', '#node-panel']) {
        expect(await page.locator(hidden).isVisible(), hidden).toBe(false);
      }
      expect(await storeLength(page)).toBe(0);
      expect(await page.locator('body').innerText()).not.toMatch(/\d+\.\d m\b/);
      expect(errors).toEqual([]);
      await context.close();
      await crew.context.close();
    });

    it("air traffic control's page has no commands, and a command its client sends anyway never reaches the node", async () => {
      const atc = await open(browser, sim.url, 'air-traffic-control');
      await atc.page.locator('#link[data-state="connected"]').waitFor({ timeout: 20_000 });
      expect(loginOf(atc.sent)).toBe('air-traffic-control-2');
      expect(await atc.page.locator('#commands').isVisible()).toBe(false);
      await atc.page.evaluate(`globalThis.groundStation.link.client.publish('sensor1/cmd/reboot', '{"id":"atc-try"}', 1)`);
      await expect.poll(() => sim.output(), { timeout: 15_000 }).toContain("broker refused air-traffic-control-2's publish to sensor1/cmd/reboot");
      // The node would have answered on sensor1/reply, which this page reads.
      await atc.page.waitForTimeout(2000);
      expect(atc.received.some((p) => p.type === 'publish' && p.topic === 'sensor1/reply' && new TextDecoder().decode(p.payload).includes('atc-try'))).toBe(false);
      await atc.context.close();
    });

    it('a second tab of the same party is told its account is in use instead of throwing the first off the broker', async () => {
      const context = await browser.newContext();
      const first = await context.newPage();
      await first.goto(`${sim.url}?party=maritime-patrol`);
      await first.locator('#link[data-state="connected"]').waitFor({ timeout: 20_000 });
      const second = await context.newPage();
      await second.goto(`${sim.url}?party=maritime-patrol`);
      await expect.poll(() => second.locator('#link .text').textContent(), { timeout: 10_000 }).toContain('already watching in another tab');
      await first.waitForTimeout(1000);
      expect(await first.locator('#link').getAttribute('data-state')).toBe('connected');
      await context.close();
    });

    it('is keyboard navigable: Tab reaches the plot, keys move it, and Enter on a button acts', async () => {
      const { page, context } = await open(browser, sim.url, 'crew');
      await page.locator('#link[data-state="connected"]').waitFor({ timeout: 20_000 });
      await page.waitForFunction(() => (globalThis as unknown as { groundStation: Hooks }).groundStation.store.length > 100);
      let reached = false;
      for (let i = 0; i < 30 && !reached; i++) {
        await page.keyboard.press('Tab');
        reached = (await page.evaluate('document.activeElement?.id')) === 'chart';
      }
      expect(reached).toBe(true);
      await page.keyboard.press('Home');
      expect(await page.locator('#view-label').textContent()).toContain('whole flight');
      await page.keyboard.press('ArrowLeft');
      expect(await page.locator('#view-label').textContent()).toMatch(/^Showing \d\d:\d\d:\d\d–\d\d:\d\d:\d\d/);
      await page.keyboard.press('End');
      expect(await page.locator('#view-label').textContent()).toContain('Following the newest reading');
      await page.locator('#cmd-ping').focus();
      await page.keyboard.press('Enter');
      await page.locator('#command-list li[data-outcome="ok"]').waitFor({ timeout: 15_000 });
      await context.close();
    });
  });

  it('a crash raises the banner, for the crew and the news station, in the first frame after the message', async () => {
    const sim = await startSimulation(['--scenario', 'crash', '--speed', '10']);
    // A browser of its own for the news station: a page in a background tab gets no frames at all.
    const newsBrowser = await launchChromium();
    try {
      const crew = await open(browser, sim.url, 'crew');
      const news = await open(newsBrowser, sim.url, 'news-station');
      for (const { page } of [crew, news]) {
        await page.locator('#link[data-state="connected"]').waitFor({ timeout: 20_000 });
        expect(await page.locator('#banner').isVisible(), 'no emergency before the envelope fails').toBe(false);
      }
      // The envelope fails about 3.5 simulated minutes in (rapid descent) and the balloon hits the
      // ground at ~5.5 (crash).
      for (const { page } of [crew, news]) {
        await page.locator('#banner-list li', { hasText: 'CRASH' }).waitFor({ timeout: 90_000 });
        await page.waitForFunction(() => (globalThis as unknown as { groundStation: Hooks }).groundStation.emergencyTimings.some((t) => t.kind === 'crash'));
        expect(await page.locator('#banner').innerText()).toMatch(/EMERGENCY[\s\S]*CRASH: impact/);
        // Measured in the page: from our MQTT client handing over the message to the start of the
        // first frame drawn after it. The banner is raised in the message handler itself, so that
        // first frame must already show it; how long the browser takes to draw a frame is its own
        // business and is reported, not asserted (no wall-clock limits in tests on a shared machine).
        const timings = await hooks(page, (gs) => gs.emergencyTimings);
        expect(timings.map((t) => t.kind)).toEqual(['rapid-descent', 'crash']);
        for (const t of timings) {
          expect(t.visible, `${t.kind} banner in the first frame`).toBe(true);
          process.stdout.write(`banner for ${t.kind}: ${(t.shownMs - t.arrivalMs).toFixed(1)} ms from message to frame\n`);
        }
      }
      expect(await news.page.locator('#altitude').isVisible()).toBe(false);
      await crew.context.close();
    } finally {
      await newsBrowser.close();
      await sim.stop();
    }
  }, 120_000);

  describe('npm start --broker --credentials parties.json against Mosquitto running the generated configuration', () => {
    let secured: SecuredBroker & { dir: string; wsPort?: number };
    let sim: Simulation;
    beforeAll(async () => {
      secured = await startGeneratedMosquitto(undefined, { websockets: true }); // a seat per program: the terminal's, the page's, the push's
      sim = await startSimulation(['--broker', `mqtt://127.0.0.1:${secured.port}`, '--credentials', `${secured.dir}/parties.json`, '--ws-url', `ws://127.0.0.1:${secured.wsPort}/mqtt`, '--speed', '20']);
    });
    afterAll(async () => {
      await sim?.stop();
      await secured?.close();
    });

    it("the page offers each party's second seat from parties.json: the crew commands, the news station receives nothing but emergencies", async () => {
      const crew = await open(browser, sim.url, 'crew');
      const news = await open(browser, sim.url, 'news-station');
      for (const { page } of [crew, news]) await page.locator('#link[data-state="connected"]').waitFor({ timeout: 20_000 });
      expect(loginOf(crew.sent)).toBe('crew-2');
      expect(loginOf(news.sent)).toBe('news-station-2');
      await crew.page.locator('#cmd-ping').click();
      await crew.page.locator('#command-list li[data-outcome="ok"]').waitFor({ timeout: 15_000 });
      // Mosquitto grants any SUBSCRIBE and filters each message (policy.ts says why): the proof is
      // what reaches the page, here while the crew's page receives the flight.
      await news.page.evaluate(`globalThis.groundStation.link.client.subscribe('sensor1/#', 1)`);
      await news.page.waitForTimeout(3000);
      expect(publishedTopics(news.received)).toEqual([]);
      expect(publishedTopics(crew.received).filter((t) => t === 'sensor1/telemetry').length).toBeGreaterThan(10);
      // The terminal view of npm start logs in with the program accounts at the same time, undisturbed.
      expect(sim.output()).not.toMatch(/PRIVACY BREACH|refused the connection/);
      for (const account of secured.parties.accounts) expect(sim.output()).not.toContain(account.password);
      await crew.context.close();
      await news.context.close();
    });

    it('a wrong password typed into the login form is refused by the broker, said so, and not retried', async () => {
      const { page, context, sent } = await open(browser, sim.url, '');
      await page.getByLabel('maritime patrol').check();
      await page.locator('#username').fill('maritime-patrol-2');
      await page.locator('#password').fill('not-the-password');
      await page.getByRole('button', { name: 'Watch the flight' }).click();
      await page.locator('#link[data-state="refused"]').waitFor({ timeout: 20_000 });
      expect(await page.locator('#link .text').textContent()).toBe('the broker refused the login as maritime-patrol-2: check the user name and password (Switch party to log in again)');
      expect(await page.locator('#events').innerText()).toMatch(/login refused: the broker refused the connection: not authorized/);
      await page.waitForTimeout(3000); // a retry would come within 0.5 to 5 s
      expect(sent.filter((p) => p.type === 'connect')).toHaveLength(1);
      await context.close();
    });
  });

  describe('npm start --broker against a Mosquitto with a WebSocket listener', () => {
    let mosquitto: Mosquitto;
    let sim: Simulation;
    beforeAll(async () => {
      mosquitto = await startMosquitto({ websockets: true, persistence: true });
      sim = await startSimulation(['--broker', mosquitto.url, '--ws-url', `ws://127.0.0.1:${mosquitto.wsPort}/mqtt`, '--speed', '20']);
    });
    afterAll(async () => {
      await sim?.stop();
      await mosquitto?.close();
    });

    it('a broker restart shows "reconnecting since", then the gap fills from the persistent session: every reading once', async () => {
      const { page, context } = await open(browser, sim.url, 'crew');
      await page.locator('#link[data-state="connected"]').waitFor({ timeout: 20_000 });
      await page.waitForFunction(() => (globalThis as unknown as { groundStation: Hooks }).groundStation.store.length > 40, undefined, { timeout: 30_000 });
      await mosquitto.stop();
      const before = await storeLength(page);
      await page.locator('#link[data-state="reconnecting"]').waitFor({ timeout: 20_000 });
      expect(await page.locator('#link .text').textContent()).toMatch(/^reconnecting since \d\d:\d\d:\d\d$/);
      await page.waitForTimeout(3000); // 60 readings wait in the node's outbox
      await mosquitto.restart();
      await page.locator('#link[data-state="connected"]').waitFor({ timeout: 30_000 });
      await page.waitForFunction((n) => (globalThis as unknown as { groundStation: Hooks }).groundStation.store.length > n + 100, before, { timeout: 60_000 });
      const { seqs, missing } = await hooks(page, (gs) => ({ seqs: Array.from(gs.store.seq.subarray(0, gs.store.length)), missing: gs.store.missing }));
      expect(missing).toBe(0);
      expect(seqs).toEqual(seqs.map((_, i) => seqs[0] + i)); // in order, none twice, none missing
      expect(await page.locator('#events').innerText()).toMatch(/the broker kept our session/);
      await context.close();
    });
  });
});
