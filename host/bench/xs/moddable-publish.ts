// The Moddable SDK's own MQTT client publishing on XS, the reference our client is measured against
// (npm run bench): connected through the stand-in socket, it publishes the same message to the same
// topic as ours-publish.ts does. Its `socket`, `timer`, `time` and `websocket` imports are resolved
// to moddable-shims/ by the bundler (moddable-reference.ts).
import './moddable-shims/globals';
import Client from 'moddable-sdk/mqtt';
import { runDueTimers } from './moddable-shims/timer';

let client: Client;
const payload = new Uint8Array([0x31, 0x35, 0x32, 0x33, 0x2e, 0x34]).buffer; // "1523.4", reused
let ready = false;

export function setup(): boolean {
  client = new Client({ host: 'broker', port: 1883, id: 'sensor1', timeout: 60_000 });
  client.onReady = () => (ready = true);
  client.ws.callback(1); // connected: the client writes CONNECT
  client.ws.deliver(new Uint8Array([0x20, 0x02, 0x00, 0x00])); // CONNACK, accepted
  runDueTimers(); // the client reports onReady from a timer
  if (!ready) throw new Error('the Moddable client did not become ready');
  return ready;
}

export function step(): void {
  client.publish('sensor1/altitude', payload);
}

/** The bytes one publish puts on the wire, in hex: the benchmark checks both clients send the same. */
export function wireBytes(): string {
  setup();
  const socket = client.ws;
  const write = socket.write;
  let sent = '';
  socket.write = (buffer: ArrayBuffer) => {
    for (const byte of new Uint8Array(buffer)) sent += byte.toString(16).padStart(2, '0');
    return 1 << 20;
  };
  client.publish('sensor1/altitude', payload);
  socket.write = write;
  return sent;
}
