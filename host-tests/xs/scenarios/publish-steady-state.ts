// Our client publishing on XS, connected through a socket whose write drops the bytes: the hot path
// measured by npm run bench (beside the Moddable SDK's client, host/bench/xs/moddable-publish.ts: the
// same message to the same topic) and pinned at zero allocations by steady-state.test.ts. QoS 1 adds
// the broker's PUBACK, delivered through the socket as a real one would be. The payload buffer is
// reused, so any heap growth counted is the client's own.
import { MqttClient } from '../../../src/mqtt/client';
import { encode } from '../../../src/mqtt/codec';
import { VirtualClock } from '../../fakes/virtual-clock';
import { ScriptedNetwork, type ScriptedSocket } from '../../fakes/scripted-socket';

let client: MqttClient;
let network: ScriptedNetwork;
/** The broker's end of the connection (looked up once: the fake network's getter is not the client's cost). */
let broker: ScriptedSocket;
let qos: 0 | 1 = 0;
let packetId = 0;
const maxInflight = 16;
const payload = new Uint8Array([0x31, 0x35, 0x32, 0x33, 0x2e, 0x34]); // "1523.4"
const pubacks: Uint8Array[] = [];
let completed = 0;

/** `listening`: an application listening for deliveries ('published') is part of the path. */
export function setup(level: 0 | 1, listening = true): boolean {
  qos = level;
  network = new ScriptedNetwork();
  client = new MqttClient({ host: 'broker', port: 1883, clientId: 'sensor1', maxInflight }, { socket: network.factory, clock: new VirtualClock() });
  if (listening) client.on('published', () => completed++);
  for (let id = 1; id <= maxInflight; id++) pubacks.push(encode({ type: 'puback', packetId: id }));
  client.connect();
  network.last.options.onWritable(2 ** 30); // room for every publish of the run: no backpressure
  broker = network.last;
  broker.deliver(encode({ type: 'connack', sessionPresent: false, returnCode: 0 }));
  return client.connected;
}

export function step(): void {
  client.publish('sensor1/altitude', payload, qos);
  if (qos === 1) {
    // The broker acknowledges at once: the ids cycle through the window.
    packetId = (packetId % maxInflight) + 1;
    broker.deliver(pubacks[packetId - 1]);
  }
}

/** Publishes completed so far (QoS 0 on write, QoS 1 on PUBACK). */
export function completedCount(): number {
  return completed;
}

/** The bytes one QoS 0 publish puts on the wire, in hex (the benchmark compares them with Moddable's). */
export function wireBytes(): string {
  setup(0, false);
  const socket = network.last as { write(bytes: Uint8Array, length: number): void };
  let sent = '';
  socket.write = (bytes, length) => {
    for (let i = 0; i < length; i++) sent += bytes[i].toString(16).padStart(2, '0');
  };
  client.publish('sensor1/altitude', payload, 0);
  return sent;
}
