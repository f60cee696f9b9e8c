// The whole sensor node on fake ports (virtual clock, scripted broker, memory store, simulated
// flight): a crash flight with a broker outage in the middle, run on Node and on XS alike.
import { SensorNode } from '../../../src/app/node';
import { DEFAULT_CONFIG } from '../../../src/app/config';
import { flyScenario } from '../../../src/sim/scenarios';
import { encode } from '../../../src/mqtt/codec';
import { OUTBOX_WINDOW } from '../../../src/app/outbox';
import { MemoryStore } from '../../fakes/memory-store';
import { NorFlashChip } from '../../fakes/sdk-flash';
import { ScriptedBroker } from '../../fakes/scripted-broker';
import { VirtualClock } from '../../fakes/virtual-clock';
import type { Clock, StreamSocketOptions } from '../../../src/ports';
import type { Barometer, BarometerSample } from '../../../src/sensor/barometer';

function makeNode(clock: Clock, socket: SensorNode['options']['socket'], scenario: 'normal' | 'crash', replay = false) {
  const { barometer: flown } = flyScenario(scenario, clock, { launchElevationM: 0 });
  const barometer = replay ? replayed(flown, clock) : flown;
  return new SensorNode({
    broker: { host: 'broker', port: 1883 },
    clock,
    socket,
    store: new MemoryStore(),
    // The steady state meters the node, not the emulator: its flash programs erased bytes at about
    // the cost of the device's native write (sdk-flash.ts, nativeCost), with the same results.
    outboxFlash: new NorFlashChip({ outbox: 64 * 1024 }, 1, { nativeCost: replay }).open('outbox'),
    openBarometer: () => barometer,
    system: { firmwareVersion: '0.1.0', board: 'xs-test', resetReason: 'power-on', reboot: () => {} },
    defaults: DEFAULT_CONFIG,
  });
}

export function crashFlightWithOutage() {
  const clock = new VirtualClock(0);
  const broker = new ScriptedBroker(clock);
  const node = makeNode(clock, broker.factory, 'crash');
  node.start();
  let outboxPeak = 0;
  for (let t = 1; t <= 420; t++) {
    if (t === 100) broker.goOffline();
    if (t === 160) broker.online = true;
    clock.advance(1000);
    outboxPeak = Math.max(outboxPeak, node.outbox.size);
  }
  const telemetry = broker.published.filter((p) => p.topic === 'sensor1/telemetry').map((p) => JSON.parse(p.payload) as { seq: number });
  const seqs = telemetry.map((t) => t.seq);
  const emergencies = broker.published.filter((p) => p.topic === 'sensor1/emergency').map((p) => JSON.parse(p.payload) as { kind: string; active: boolean });
  return {
    telemetryCount: telemetry.length,
    inOrderWithoutGaps: seqs.every((s, i) => s === i + 1),
    lastSeq: seqs[seqs.length - 1],
    // (the exact peak depends on the reconnect jitter, which is random)
    outboxFilledDuringOutage: outboxPeak > 50,
    outboxAtEnd: node.outbox.size,
    emergencies: emergencies.map((e) => `${e.kind}:${e.active}`),
    statuses: broker.published.filter((p) => p.topic === 'sensor1/status').map((p) => p.payload),
  };
}

// ---- steady state: one sample cycle (sample → encode → write → PUBACK) on a connected node ----
//
// The node reads a replay of a flight computed beforehand: the flight model is the simulator's input
// (on the device a chip measures the air), and what is measured here is the node's own work, from
// the barometer's sample to the bytes on the wire and the PUBACK (npm run bench: the sample cycle).

const REPLAY_SAMPLES = 2048;

/** The flight model's samples of the next REPLAY_SAMPLES seconds, replayed one a second. */
function replayed(flown: Barometer, clock: Clock): Barometer {
  const pressures = new Float64Array(REPLAY_SAMPLES);
  const temperatures = new Float64Array(REPLAY_SAMPLES);
  const startMs = clock.now();
  for (let i = 0; i < REPLAY_SAMPLES; i++) {
    now = startMs + i * 1000;
    const sample = flown.sample();
    pressures[i] = sample.pressure;
    temperatures[i] = sample.temperature;
  }
  now = startMs;
  const sample: BarometerSample = { pressure: 0, temperature: 0 };
  return {
    chip: flown.chip,
    address: flown.address,
    sample() {
      const i = Math.min(REPLAY_SAMPLES - 1, Math.round((clock.now() - startMs) / 1000));
      sample.pressure = pressures[i];
      sample.temperature = temperatures[i];
      return sample;
    },
    reinitialize() {},
    close() {},
  };
}

let node: SensorNode;
let now = 0;
let socketOptions: StreamSocketOptions;
const inbox: Uint8Array[] = [];
const pubacks: Uint8Array[] = [];
/** Packet ids of the QoS 1 PUBLISHes the node wrote and the broker has not acknowledged yet. */
const unacknowledged = new Uint16Array(64);
let unacknowledgedCount = 0;
let steadyOutbox = Infinity;

/** A clock whose timers never fire on their own: the step drives the node directly. */
const manualClock: Clock = { now: () => now, setTimer: () => ({}), setRepeatingTimer: () => ({}), clearTimer: () => {} };

/**
 * The broker's side of the socket: notes the packet id of every QoS 1 PUBLISH written, reading the
 * bytes in place (nothing allocated, so the measurement counts only the node).
 */
function brokerReads(bytes: Uint8Array, byteLength: number): void {
  let at = 0;
  while (at < byteLength) {
    const header = bytes[at];
    let remaining = 0;
    let shift = 0;
    let p = at + 1;
    for (;;) {
      const digit = bytes[p++];
      remaining += (digit & 0x7f) << shift;
      shift += 7;
      if (digit < 0x80) break;
    }
    if (header >> 4 === 3 && ((header >> 1) & 3) === 1) {
      const topicLength = (bytes[p] << 8) | bytes[p + 1];
      unacknowledged[unacknowledgedCount++] = (bytes[p + 2 + topicLength] << 8) | bytes[p + 3 + topicLength];
    }
    at = p + remaining;
  }
  if (at !== byteLength) throw new Error('a write ended inside a packet: the scenario reads whole packets only');
}

export function setup() {
  now = 1_800_000_000_000;
  node = makeNode(manualClock, (options) => {
    socketOptions = options;
    return { read: () => inbox.shift(), write: brokerReads, close: () => {} };
  }, 'normal', true);
  for (let id = 1; id <= OUTBOX_WINDOW; id++) pubacks.push(encode({ type: 'puback', packetId: id }));
  node.start();
  socketOptions.onWritable(1 << 20);
  inbox.push(encode({ type: 'connack', sessionPresent: false, returnCode: 0 }));
  socketOptions.onReadable(4);
  // Acknowledge the start-up messages (status, info) so only the cycle's own work remains.
  steadyOutbox = Infinity;
  for (let i = 0; i < 3; i++) step();
  steadyOutbox = node.outbox.size;
}

export function step() {
  now += 1000;
  node.sample();
  // The broker acknowledges everything the node published (telemetry, and info when it is due).
  for (let i = 0; i < unacknowledgedCount; i++) inbox.push(pubacks[unacknowledged[i] - 1]);
  unacknowledgedCount = 0;
  socketOptions.onReadable(4);
  socketOptions.onWritable(1 << 20);
  // A steady state: a growing outbox would be counted as the cycle's allocation (it was once, when
  // this scenario acknowledged packet ids the client's window no longer used).
  if (node.outbox.size > steadyOutbox) throw new Error(`the outbox grew to ${node.outbox.size} messages from ${steadyOutbox}: the scenario is not acknowledging them`);
}
