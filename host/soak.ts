// npm run soak — the node through N faults during a long simulated flight, against a real Mosquitto
// with persistence, and an account of every reading: nothing may be lost.
//
// The node runs as its own process (host/soak-node.ts) with its state directory (outbox log,
// settings), talking to the broker through a fault-injecting proxy (host/fault-proxy.ts); a crew
// station (persistent QoS 1 session on <id>/telemetry) and a news station (on <id>/emergency),
// both MQTT.js clients straight to the broker, record what arrives. Faults come one after another,
// drawn from a seeded generator, each kind as often as the others. At the end the node drains its
// backlog, stops, and the soak prints a table; it exits 1 when a reading or an emergency was lost.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { parseCommandLine, printHelp, runCommand, UsageError, wantsHelp } from './command-line';
import { FaultProxy } from './fault-proxy';
import { startMosquitto, type Mosquitto } from './mosquitto';

const HELP = `npm run soak -- [options]

Flies the sensor node (its own process) through faults during a long simulated flight, against a
real Mosquitto with persistence, and checks that every reading and every emergency arrives.

  --faults N    how many faults (default 200)
  --seed S      seed of the fault sequence and timings (default 1); the same seed gives the same faults
  --speed N     simulated time runs N times faster than the wall clock, the node's timers included
                (keepalive, backoff), so faults the size of a keepalive stay short (default 20)
  --id NAME     device id (default sensor1)
  --kinds LIST  only these fault kinds, by number, comma-separated (default all; 1-9 in the order below),
                to reproduce one kind of fault on its own
  --json        print the result as one JSON object instead of the table
  --help        this text

Fault kinds, drawn at random, each as often as the others: 1 broker kill -9 and restart, 2 graceful
broker restart, 3 TCP reset, 4 half-open black hole, 5 stall longer than the keepalive, 6 1-byte
fragmentation, 7 slow link (2 KB/s), 8 a second client with the node's client id, 9 node kill -9
then restart from its state directory (a power loss).
Exit status: 0 when nothing was lost, 1 when something was, 2 for bad options.
`;

export const FAULT_KINDS = [
  'broker kill -9',
  'broker restart',
  'TCP reset',
  'half-open black hole',
  'stall > keepalive',
  '1-byte fragments',
  'slow link 2 KB/s',
  'duplicate client id',
  'node kill -9 (power loss)',
] as const;
type FaultKind = (typeof FAULT_KINDS)[number];
/** Faults after which the node must lose the connection (and notice it) before it is whole again. */
const BREAKS_THE_LINK = new Set<FaultKind>(['broker kill -9', 'broker restart', 'TCP reset', 'half-open black hole', 'duplicate client id']);

const KEEPALIVE_S = 30; // the node's (src/app/node.ts)
const PING_TIMEOUT_S = 8;

function options() {
  const parsed = parseCommandLine({
    options: {
      faults: { type: 'string', default: '200' },
      seed: { type: 'string', default: '1' },
      speed: { type: 'string', default: '20' },
      id: { type: 'string', default: 'sensor1' },
      kinds: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  }).values;
  const faults = Number(parsed.faults);
  if (!(Number.isInteger(faults) && faults >= 1 && faults <= 100_000)) throw new UsageError(`--faults must be a whole number from 1 to 100000, not "${parsed.faults}"`);
  const seed = Number(parsed.seed);
  if (!(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32)) throw new UsageError(`--seed must be a whole number from 0 to 4294967295, not "${parsed.seed}"`);
  const speed = Number(parsed.speed);
  if (!(speed >= 1 && speed <= 100)) throw new UsageError(`--speed must be a number from 1 to 100, not "${parsed.speed}"`);
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(parsed.id!)) throw new UsageError(`--id must be 1 to 32 letters, digits, "_" or "-", not "${parsed.id}"`);
  let kinds: FaultKind[] = [...FAULT_KINDS];
  if (parsed.kinds !== undefined) {
    const numbers = parsed.kinds.split(',').map((n) => Number(n.trim()));
    const bad = numbers.find((n) => !(Number.isInteger(n) && n >= 1 && n <= FAULT_KINDS.length));
    if (bad !== undefined || numbers.length === 0) throw new UsageError(`--kinds must list fault kinds by number, 1 to ${FAULT_KINDS.length}, comma-separated, not "${parsed.kinds}"`);
    kinds = [...new Set(numbers)].map((n) => FAULT_KINDS[n - 1]);
  }
  return { faults, seed, speed, id: parsed.id!, kinds, json: parsed.json! };
}

/** xorshift32: the fault sequence and its timings, from the seed. */
function generator(seed: number): () => number {
  let state = seed ^ 0x9e3779b9 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

interface NodeEvent {
  ev: string;
  wallMs: number;
  [key: string]: unknown;
}

/** The node process: started, killed and started again; its reports are kept. */
class NodeProcess {
  child: ChildProcess | undefined;
  readonly events: NodeEvent[] = [];
  connected = false;
  lastConnectMs = 0;
  seq = 0;
  outbox = 0;
  dropped = 0;
  maxOutbox = 0;
  maxRss = 0;
  starts = 0;
  /** Set when the node process died without being killed: the soak stops. */
  crashed: string | undefined;
  readonly emergencies = new Set<string>();
  #exited: Promise<void> = Promise.resolve();
  /** The process being stopped: its last reports still count (a SIGTERM stop reports its final seq). */
  #ending: ChildProcess | undefined;

  /** Command-line arguments of host/soak-node.ts. */
  args: string[] = [];

  start(): void {
    this.starts++;
    this.connected = false;
    const script = fileURLToPath(new URL('./soak-node.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...this.args], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.child = child;
    this.#exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        if (this.child === child) this.crashed = `the node process exited by itself (${signal ?? `status ${code}`})`;
        resolve();
      }),
    );
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (let newline = buffer.indexOf('\n'); newline >= 0; newline = buffer.indexOf('\n')) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (this.child === child || this.#ending === child) this.#take(JSON.parse(line) as NodeEvent);
      }
    });
  }

  #take(event: NodeEvent): void {
    if (event.ev === 'stat') {
      this.seq = event.seq as number;
      this.outbox = event.outbox as number;
      this.dropped = event.dropped as number;
      this.maxOutbox = Math.max(this.maxOutbox, this.outbox);
      this.maxRss = Math.max(this.maxRss, event.rss as number);
      this.connected = event.connected as boolean;
      return;
    }
    this.events.push(event);
    if (event.ev === 'connect') {
      this.connected = true;
      this.lastConnectMs = event.wallMs;
    } else if (event.ev === 'disconnect') this.connected = false;
    else if (event.ev === 'emergency') this.emergencies.add(`${event.seq as number}:${event.kind as string}:${event.active as boolean}`);
  }

  async kill(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    this.child = undefined;
    this.#ending = child;
    child?.kill(signal);
    await this.#exited;
    this.#ending = undefined;
    this.child = undefined;
    this.connected = false;
  }

  /**
   * Whether the node is connected again after something that began at `fromMs`: 'stayed' when it
   * never lost the connection, the wall time of its CONNACK when it reconnected, undefined when not yet.
   */
  recoveredSince(fromMs: number, restarted: boolean, mustDrop: boolean): 'stayed' | number | undefined {
    if (!this.connected || !this.child) return undefined;
    let lastDown = restarted ? fromMs : -1;
    for (const e of this.events) if (e.ev === 'disconnect' && e.wallMs >= fromMs) lastDown = e.wallMs;
    if (lastDown < 0) return mustDrop ? undefined : 'stayed'; // a broken link must be noticed first
    return this.events.find((e) => e.ev === 'connect' && e.wallMs >= lastDown)?.wallMs;
  }
}

/** A persistent QoS 1 subscriber straight to the broker (MQTT.js: not our client, an independent witness). */
function station(port: number, clientId: string, topic: string, onMessage: (payload: string) => void) {
  const client = mqtt.connect({ host: '127.0.0.1', port, clientId, clean: false, protocolVersion: 4, reconnectPeriod: 100, connectTimeout: 2000 });
  let ready = false;
  client.on('connect', (connack) => {
    if (!connack.sessionPresent) client.subscribe(topic, { qos: 1 });
    ready = true;
  });
  client.on('message', (_topic, payload) => onMessage(payload.toString()));
  client.on('error', () => {});
  return { client, ready: () => ready && client.connected };
}

export interface SoakResult {
  faults: Record<string, number>;
  telemetry: { published: number; received: number; lost: number; duplicates: number; conflicting: number; dropped: number };
  emergencies: { raised: number; received: number; missing: number };
  memory: { maxOutbox: number; maxRssMb: number };
  reconnectMs: { count: number; p50: number; p99: number; byKind: Record<string, { count: number; p50: number; max: number }> };
  unrecovered: number;
  nodeStarts: number;
  wallS: number;
  ok: boolean;
}

async function soak(opts: ReturnType<typeof options>): Promise<SoakResult> {
  const began = Date.now();
  const random = generator(opts.seed);
  const between = (low: number, high: number) => low + random() * (high - low);
  const wall = (simS: number) => (simS * 1000) / opts.speed; // ms of wall time for simulated seconds
  const work = mkdtempSync(path.join(os.tmpdir(), 'altimeter-soak-'));
  let broker: Mosquitto | undefined;
  let proxy: FaultProxy | undefined;
  const node = new NodeProcess();
  const stations: ReturnType<typeof station>[] = [];
  try {
    broker = await startMosquitto({ persistence: true, saveEveryChange: true });
    proxy = await FaultProxy.start(broker.port);
    const telemetry = new Map<number, Set<number>>(); // seq → boots it arrived with
    let telemetryMessages = 0;
    const news = new Set<string>();
    stations.push(
      station(broker.port, `${opts.id}-soak-crew`, `${opts.id}/telemetry`, (payload) => {
        const { boot, seq } = JSON.parse(payload) as { boot: number; seq: number };
        telemetryMessages++;
        let boots = telemetry.get(seq);
        if (!boots) telemetry.set(seq, (boots = new Set()));
        boots.add(boot);
      }),
      station(broker.port, `${opts.id}-soak-news`, `${opts.id}/emergency`, (payload) => {
        const e = JSON.parse(payload) as { seq: number; kind: string; active: boolean };
        news.add(`${e.seq}:${e.kind}:${e.active}`);
      }),
    );
    for (let i = 0; i < 200 && !stations.every((s) => s.ready()); i++) await sleep(25);
    const stateDir = path.join(work, 'node');
    const simStart = Date.now();
    node.args = [
      '--port', String(proxy.port), '--state', stateDir, '--speed', String(opts.speed), '--sim-start', String(simStart), '--wall-start', String(simStart), '--id', opts.id, '--seed', String(opts.seed),
    ];
    node.start();
    const waitRecovered = async (fromMs: number, restarted: boolean, limitMs: number, mustDrop = false) => {
      for (const end = Date.now() + limitMs; Date.now() < end; await sleep(20)) {
        if (node.crashed) throw new Error(node.crashed);
        const recovered = node.recoveredSince(fromMs, restarted, mustDrop);
        if (recovered !== undefined) return recovered;
      }
      return undefined;
    };
    if ((await waitRecovered(0, true, 30_000)) === undefined) throw new Error('the node never connected to the broker');
    await sleep(wall(20));

    // Each kind equally often, in a seeded order.
    const plan: FaultKind[] = Array.from({ length: opts.faults }, (_, i) => opts.kinds[i % opts.kinds.length]);
    for (let i = plan.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [plan[i], plan[j]] = [plan[j], plan[i]];
    }
    const counts: Record<string, number> = Object.fromEntries(opts.kinds.map((k) => [k, 0]));
    const reconnects: number[] = [];
    const reconnectsByKind = new Map<string, number[]>();
    let unrecovered = 0;
    const keepaliveWall = wall(KEEPALIVE_S);
    for (const [index, kind] of plan.entries()) {
      counts[kind]++;
      const faultStart = Date.now();
      let reconnectFrom = faultStart;
      switch (kind) {
        case 'broker kill -9':
          await broker.kill();
          await sleep(between(100, 1500));
          await broker.start();
          reconnectFrom = Date.now();
          break;
        case 'broker restart':
          await broker.stop();
          await sleep(between(100, 1000));
          await broker.start();
          reconnectFrom = Date.now();
          break;
        case 'TCP reset':
          proxy.reset();
          break;
        case 'half-open black hole':
          proxy.blackHole(keepaliveWall * 1.5);
          break;
        case 'stall > keepalive':
          proxy.stall();
          await sleep(between(keepaliveWall, keepaliveWall + wall(PING_TIMEOUT_S) * 2));
          proxy.resume();
          reconnectFrom = Date.now();
          break;
        case '1-byte fragments':
          proxy.fragment(true);
          await sleep(between(500, 2500));
          proxy.fragment(false);
          break;
        case 'slow link 2 KB/s':
          proxy.throttle(2048);
          await sleep(between(1000, 4000));
          proxy.throttle(undefined);
          break;
        case 'duplicate client id': {
          // Another device with the same id: the broker drops the node's connection for it.
          const impostor = mqtt.connect({ host: '127.0.0.1', port: broker.port, clientId: opts.id, clean: true, protocolVersion: 4, reconnectPeriod: 0 });
          impostor.on('error', () => {});
          await new Promise<void>((resolve) => {
            impostor.once('connect', () => resolve());
            impostor.once('close', () => resolve());
          });
          await sleep(between(200, 1000));
          impostor.end(true);
          reconnectFrom = faultStart;
          break;
        }
        case 'node kill -9 (power loss)':
          await node.kill('SIGKILL');
          await sleep(between(100, 1000));
          node.start();
          reconnectFrom = Date.now();
          break;
      }
      const restarted = kind === 'node kill -9 (power loss)';
      const recovered = await waitRecovered(restarted ? reconnectFrom : faultStart, restarted, 60_000, BREAKS_THE_LINK.has(kind));
      if (recovered === undefined) {
        unrecovered++;
        process.stderr.write(`soak: fault ${index + 1} (${kind}): the node did not reconnect within 60 s\n`);
      } else if (recovered !== 'stayed') {
        const ms = Math.max(0, recovered - reconnectFrom);
        reconnects.push(ms);
        if (!reconnectsByKind.has(kind)) reconnectsByKind.set(kind, []);
        reconnectsByKind.get(kind)!.push(ms);
      }
      if (!opts.json && (index + 1) % 10 === 0) process.stderr.write(`soak: ${index + 1}/${plan.length} faults, seq ${node.seq}, outbox ${node.outbox}\n`);
      await sleep(between(200, 1200));
    }

    // Drain: the backlog goes out, every reading reaches the crew, then a clean stop.
    for (const end = Date.now() + 120_000; Date.now() < end; await sleep(50)) {
      if (node.connected && node.outbox === 0 && telemetry.has(node.seq) && stations.every((s) => s.ready())) break;
    }
    await node.kill('SIGTERM');
    for (const end = Date.now() + 10_000; Date.now() < end && !telemetry.has(node.seq); ) await sleep(50);
    await sleep(500);

    const published = node.seq;
    let lost = 0;
    let conflicting = 0;
    for (let seq = 1; seq <= published; seq++) {
      const boots = telemetry.get(seq);
      if (!boots) lost++;
      else if (boots.size > 1) conflicting++;
    }
    let distinct = 0;
    for (const boots of telemetry.values()) distinct += boots.size;
    const missing = [...node.emergencies].filter((key) => !news.has(key)).length;
    const ok = lost === 0 && conflicting === 0 && missing === 0 && unrecovered === 0 && published > 0;
    return {
      faults: counts,
      telemetry: { published, received: telemetry.size, lost, duplicates: telemetryMessages - distinct, conflicting, dropped: node.dropped },
      emergencies: { raised: node.emergencies.size, received: [...node.emergencies].filter((key) => news.has(key)).length, missing },
      memory: { maxOutbox: node.maxOutbox, maxRssMb: Math.round(node.maxRss / 1e5) / 10 },
      reconnectMs: {
        count: reconnects.length,
        p50: Math.round(percentile(reconnects, 50)),
        p99: Math.round(percentile(reconnects, 99)),
        byKind: Object.fromEntries(
          [...reconnectsByKind].map(([kind, times]) => [kind, { count: times.length, p50: Math.round(percentile(times, 50)), max: Math.round(Math.max(...times)) }]),
        ),
      },
      unrecovered,
      nodeStarts: node.starts,
      wallS: Math.round((Date.now() - began) / 1000),
      ok,
    };
  } finally {
    if (node.child) await node.kill('SIGKILL');
    for (const s of stations) s.client.end(true);
    await proxy?.close();
    await broker?.close();
    rmSync(work, { recursive: true, force: true });
  }
}

function table(result: SoakResult, opts: ReturnType<typeof options>): string {
  const { telemetry: t, emergencies: e, memory: m, reconnectMs: r } = result;
  const faults = Object.entries(result.faults).map(([kind, n]) => `${kind} ${n}`).join(', ');
  return [
    `soak: ${opts.faults} faults, seed ${opts.seed}, speed ${opts.speed}×, ${result.wallS} s wall, ${result.nodeStarts} node starts`,
    '',
    '| what | figure |',
    '| --- | --- |',
    `| faults by kind | ${faults} |`,
    `| telemetry | published ${t.published}, received ${t.received} at the persistent QoS 1 subscriber, **lost ${t.lost}**, duplicates ${t.duplicates}${t.conflicting ? `, seq with two boots ${t.conflicting}` : ''}${t.dropped ? `, dropped by the outbox ${t.dropped}` : ''} |`,
    `| emergencies | raised ${e.raised}, received ${e.received}${e.missing ? `, **missing ${e.missing}**` : ''} |`,
    `| memory | max outbox depth ${m.maxOutbox}, node RSS high-water ${m.maxRssMb} MB |`,
    `| reconnect time | p50 ${r.p50} ms, p99 ${r.p99} ms (wall, over ${r.count} reconnects)${result.unrecovered ? `; ${result.unrecovered} faults never recovered` : ''} |`,
    `| reconnect by kind (p50 / max) | ${Object.entries(r.byKind).map(([kind, k]) => `${kind} ${k.p50} / ${k.max} ms`).join(', ')} |`,
    '',
    result.ok ? 'PASS: nothing lost' : 'FAIL: something was lost (see the table)',
  ].join('\n');
}

async function main(): Promise<number> {
  if (wantsHelp(process.argv.slice(2))) return printHelp(HELP);
  const opts = options();
  const result = await soak(opts);
  process.stdout.write(opts.json ? `${JSON.stringify(result)}\n` : `${table(result, opts)}\n`);
  return result.ok ? 0 : 1;
}

runCommand(main, HELP);
