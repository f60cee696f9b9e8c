// The node's core through a long run of faults on fake ports, small enough for XS: a scripted broker
// that goes away (link cuts), and power losses that tear a flash write or erase of the emulated SDK
// flash module and kill the node's timers and socket (PowerDomain); after each power loss a new node
// starts on the same flash and store. Every reading is accounted for as the broker receives it, in
// preallocated arrays, so the run itself keeps a flat heap: what grows would be the node's.
//   setup(seed) once; step() once per fault; report() at the end.
import { SensorNode } from '../../../src/app/node';
import { DEFAULT_CONFIG } from '../../../src/app/config';
import { flyScenario } from '../../../src/sim/scenarios';
import type { SimulatedBarometer } from '../../../src/sim/simulated-barometer';
import { MemoryStore } from '../../fakes/memory-store';
import { NorFlashChip, seededRandom } from '../../fakes/moddable/flash-module';
import { PowerDomain } from '../../fakes/power-domain';
import { ScriptedBroker } from '../../fakes/scripted-broker';
import { VirtualClock } from '../../fakes/virtual-clock';

const MAX_SEQ = 20_000;
const START_MS = 1_800_000_000_000;

let base: VirtualClock;
let broker: ScriptedBroker;
let chip: NorFlashChip;
let store: MemoryStore;
let barometer: SimulatedBarometer;
let domain: PowerDomain;
let node: SensorNode;
let random: () => number;
let faults = 0;
let linkCuts = 0;
let powerLosses = 0;
/** Per seq: times the broker received it, and the boot it first came with. */
let received: Uint16Array;
let bootOf: Uint16Array;
let newest = 0;
let duplicates = 0;
let outOfOrder = 0;
let conflicting = 0;
let maxOutbox = 0;
/** Emergencies as seq:kind:active: raised (durable in the outbox) and received by the broker. A few a flight. */
let raised: Set<string>;
let emergencies: Set<string>;
const key = (payload: string) => {
  const e = JSON.parse(payload) as { seq: number; kind: string; active: boolean };
  return `${e.seq}:${e.kind}:${e.active}`;
};

function onPublish(topic: string, payload: string): void {
  if (topic === 'sensor1/emergency') {
    emergencies.add(key(payload));
    return;
  }
  if (topic !== 'sensor1/telemetry') return;
  const { boot, seq } = JSON.parse(payload) as { boot: number; seq: number };
  if (received[seq]++ === 0) {
    bootOf[seq] = boot;
    if (seq < newest) outOfOrder++;
    newest = Math.max(newest, seq);
  } else if (bootOf[seq] !== boot) conflicting++;
  else duplicates++;
}

function boot(): void {
  domain = new PowerDomain(base, broker.factory, () => chip.powered);
  node = new SensorNode({
    broker: { host: 'broker', port: 1883 },
    clock: domain.clock,
    socket: domain.socket,
    store,
    outboxFlash: chip.open('outbox'),
    openBarometer: () => barometer,
    system: { firmwareVersion: '0.1.0', board: 'xs-soak', resetReason: 'power-on', reboot: () => {} },
    defaults: DEFAULT_CONFIG,
    onEmergency: (payload) => raised.add(key(payload)),
  });
  node.start();
}

/** Flies `seconds`, one sample a second; stops early when the power goes. */
function fly(seconds: number): void {
  for (let s = 0; s < seconds && chip.powered; s++) {
    base.advance(1000);
    if (node.outbox.size > maxOutbox) maxOutbox = node.outbox.size;
  }
}

const between = (low: number, high: number) => Math.floor(low + random() * (high - low));

export function setup(seed: number): void {
  base = new VirtualClock(START_MS);
  broker = new ScriptedBroker(base);
  broker.record = false;
  broker.onPublish = onPublish;
  chip = new NorFlashChip({ outbox: 64 * 1024 }, seed);
  store = new MemoryStore();
  barometer = flyScenario('crash', base, { seed, startMs: START_MS, launchElevationM: 0 }).barometer;
  random = seededRandom(seed);
  received = new Uint16Array(MAX_SEQ);
  bootOf = new Uint16Array(MAX_SEQ);
  raised = new Set();
  emergencies = new Set();
  faults = linkCuts = powerLosses = newest = duplicates = outOfOrder = conflicting = maxOutbox = 0;
  boot();
}

/** One fault: some flight, then a link cut (even) or a power loss (odd), and the node carries on. */
export function step(): void {
  fly(between(20, 60));
  if (faults++ % 2 === 0) {
    linkCuts++;
    broker.goOffline();
    fly(between(10, 120));
    broker.online = true;
  } else {
    powerLosses++;
    chip.cutPowerAfter(between(0, 40)); // the next flash writes and erases complete; one of the following is torn
    for (let s = 0; s < 600 && chip.powered; s++) base.advance(1000);
    domain.kill();
    chip.powerOn();
    boot();
  }
}

export function report() {
  fly(240); // connected: the backlog drains
  const lastSeq = node.seq;
  let lost = 0;
  for (let seq = 1; seq <= lastSeq; seq++) if (received[seq] === 0) lost++;
  return {
    faults: { linkCuts, powerLosses },
    lastSeq,
    lost,
    duplicates,
    outOfOrder,
    conflicting,
    maxOutbox,
    outboxAtEnd: node.outbox.size,
    dropped: node.outbox.dropped,
    boot: node.boot,
    emergencies: { raised: raised.size, missing: [...raised].filter((k) => !emergencies.has(k)).length },
  };
}

/** The whole run in one call (Node, or XS without the heap rounds). */
export function run(seed: number, count: number) {
  setup(seed);
  for (let i = 0; i < count; i++) step();
  return report();
}
