// The whole sensor node on fake ports (virtual clock, scripted broker, memory store, simulated
// flight): a crash flight with a broker outage in the middle, run on Node and on XS alike.
import { SensorNode } from '../../../src/app/node';
import { DEFAULT_CONFIG } from '../../../src/app/config';
import { SimulatedBarometer } from '../../../src/sensor/simulated';
import { encode } from '../../../src/mqtt/codec';
import { MemoryStore } from '../../fakes/memory-store';
import { NorFlashChip } from '../../fakes/sdk-flash';
import { OUTBOX_WINDOW } from '../../../src/app/outbox';
import { ScriptedBroker } from '../../fakes/scripted-broker';
import { VirtualClock } from '../../fakes/virtual-clock';
import type { Clock, StreamSocketOptions } from '../../../src/ports';

function makeNode(clock: Clock, socket: SensorNode['options']['socket'], scenario: 'normal' | 'crash') {
  const barometer = new SimulatedBarometer({ clock, scenario, launchElevationM: 0 });
  return new SensorNode({
    broker: { host: 'broker', port: 1883 },
    clock,
    socket,
    store: new MemoryStore(),
    outboxFlash: new NorFlashChip({ outbox: 64 * 1024 }).open('outbox'),
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

let node: SensorNode;
let now = 0;
let socketOptions: StreamSocketOptions;
const inbox: Uint8Array[] = [];
const pubacks: Uint8Array[] = [];
let nextAck = 0;

/** A clock whose timers never fire on their own: the step drives the node directly. */
const manualClock: Clock = { now: () => now, setTimer: () => ({}), setRepeatingTimer: () => ({}), clearTimer: () => {} };

export function setup() {
  now = 1_800_000_000_000;
  node = makeNode(manualClock, (options) => {
    socketOptions = options;
    return { read: () => inbox.shift(), write: () => {}, close: () => {} };
  }, 'normal');
  for (let id = 1; id <= OUTBOX_WINDOW; id++) pubacks.push(encode({ type: 'puback', packetId: id }));
  node.start();
  socketOptions.onWritable(1 << 20);
  inbox.push(encode({ type: 'connack', sessionPresent: false, returnCode: 0 }));
  socketOptions.onReadable(4);
  // Acknowledge the start-up messages (status, info) so only the cycle's own work remains.
  for (let i = 0; i < 3; i++) step();
}

export function step() {
  now += 1000;
  node.sample();
  // The broker acknowledges the telemetry: packet ids go round the client's window.
  nextAck = (nextAck % OUTBOX_WINDOW) + 1;
  inbox.push(pubacks[nextAck - 1]);
  socketOptions.onReadable(4);
  socketOptions.onWritable(1 << 20);
}
