// The hot path (encode → write) of a connected client publishing telemetry, for measuring on XS how
// much it allocates per publish. The payload buffer is reused, so anything counted is ours.
import { MqttClient } from '../../../src/mqtt/client';
import { encode } from '../../../src/mqtt/codec';
import { VirtualClock } from '../../fakes/virtual-clock';
import { ScriptedNetwork } from '../../fakes/scripted-socket';

let client: MqttClient;
let network: ScriptedNetwork;
let qos: 0 | 1 = 0;
let packetId = 0;
let maxInflight = 1;
const payload = new Uint8Array([0x31, 0x35, 0x32, 0x33, 0x2e, 0x34]); // "1523.4"
const pubacks: Uint8Array[] = [];
let completed = 0;

export function setup(level: 0 | 1) {
  qos = level;
  const clock = new VirtualClock();
  network = new ScriptedNetwork();
  maxInflight = 16;
  client = new MqttClient({ host: 'broker', port: 1883, clientId: 'sensor1', maxInflight }, { socket: network.factory, clock });
  client.on('published', () => completed++); // an application listening for deliveries is part of the path
  for (let id = 1; id <= maxInflight; id++) pubacks.push(encode({ type: 'puback', packetId: id }));
  client.connect();
  network.last.options.onWritable(65536);
  network.last.deliver(encode({ type: 'connack', sessionPresent: false, returnCode: 0 }));
  packetId = 0;
}

export function step() {
  client.publish('sensor1/altitude', payload, qos);
  if (qos === 1) {
    // The broker acknowledges at once: the ids cycle through the window.
    packetId = (packetId % maxInflight) + 1;
    network.last.deliver(pubacks[packetId - 1]);
  }
  network.last.options.onWritable(65536);
}
