// The WebSocket socket adapter (src/platform/web/) under the unchanged MQTT client, against real
// brokers' WebSocket listeners: the embedded Aedes of `npm start` and Mosquitto. In Node the ws
// package stands in for the browser's WebSocket (same WHATWG shape); the page's own run in Chromium
// is in ground-station.test.ts. The embedded broker enforces the access policy on its WebSocket
// listener as on TCP, so clients log in: the device publishes, parties subscribe.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { MqttClient } from '../../src/mqtt/client';
import type { IncomingMessage } from '../../src/mqtt/session';
import { nodeClock } from '../../src/platform/node/clock';
import { webSocketFactory, webSocketUrl, type WebSocketConstructor } from '../../src/platform/web/websocket-socket';
import { generateAccounts } from '../../host/broker/accounts';
import type { Account } from '../../host/broker/policy';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../host/embedded-broker';
import { startMosquitto, type Mosquitto } from '../support/mosquitto';

const socket = webSocketFactory({ WebSocket: WebSocket as unknown as WebSocketConstructor, clock: nodeClock, path: '/mqtt' });

const accounts = generateAccounts(['sensor1'], 2);
const broker = (): Promise<EmbeddedBroker> => startEmbeddedBroker({ access: { fleet: ['sensor1'], accounts } });

/** A client logged in as `username` (Mosquitto here is open and takes any login). */
function client(port: number, username: string, extra: Partial<ConstructorParameters<typeof MqttClient>[0]> = {}) {
  const account = accounts.find((a) => a.username === username) as Account;
  const login = { clientId: username, username, password: new TextEncoder().encode(account.password) };
  const c = new MqttClient({ host: '127.0.0.1', port, ...login, reconnect: { minDelayMs: 100, maxDelayMs: 300 }, ...extra }, { socket, clock: nodeClock });
  const messages: IncomingMessage[] = [];
  const errors: Error[] = [];
  c.on('message', (m) => messages.push(m));
  c.on('disconnect', (e) => e && errors.push(e));
  return { c, messages, errors };
}

const until = async (what: string, condition: () => boolean, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};
const connected = (c: MqttClient) => until('connect', () => c.connected);

let aedes: EmbeddedBroker;
let mosquitto: Mosquitto;
beforeAll(async () => {
  aedes = await broker();
  mosquitto = await startMosquitto({ websockets: true });
});
afterAll(async () => {
  await aedes?.close();
  await mosquitto?.close();
});

describe('MQTT over WebSocket (src/platform/web/websocket-socket.ts)', () => {
  it('builds ws:// and wss:// URLs, bracketing IPv6 literals', () => {
    expect(webSocketUrl('127.0.0.1', 9001, false)).toBe('ws://127.0.0.1:9001/mqtt');
    expect(webSocketUrl('broker.example', 443, true, 'ws')).toBe('wss://broker.example:443/ws');
    expect(webSocketUrl('::1', 9001, false, '/')).toBe('ws://[::1]:9001/');
  });

  for (const name of ['Aedes (embedded)', 'Mosquitto'] as const) {
    const port = () => (name === 'Mosquitto' ? mosquitto.wsPort! : aedes.wsPort);

    it(`${name}: QoS 0, 1 and 2 round-trip through the same client as on TCP`, async () => {
      const sub = client(port(), 'crew');
      const pub = client(port(), 'sensor1');
      sub.c.subscribe('sensor1/#', 2);
      sub.c.connect();
      pub.c.connect();
      await connected(sub.c);
      await connected(pub.c);
      await new Promise((r) => setTimeout(r, 100));
      pub.c.publish('sensor1/altitude', 'zero', 0);
      pub.c.publish('sensor1/info', 'one', 1);
      pub.c.publish('sensor1/telemetry', 'two', 2);
      await until('three messages', () => sub.messages.length >= 3);
      expect(sub.messages.map((m) => [m.topic, new TextDecoder().decode(m.payload)]).sort()).toEqual([
        ['sensor1/altitude', 'zero'], ['sensor1/info', 'one'], ['sensor1/telemetry', 'two'],
      ]);
      sub.c.end();
      pub.c.end();
    });

    it(`${name}: a burst larger than the write window waits for the socket and arrives whole, in order`, async () => {
      const sub = client(port(), 'crew', { maxPacketBytes: 1 << 20 });
      const pub = client(port(), 'sensor1', { maxInflight: 400 }); // the whole burst in flight at once
      sub.c.subscribe('sensor1/telemetry', 1);
      sub.c.connect();
      pub.c.connect();
      await connected(sub.c);
      await connected(pub.c);
      await new Promise((r) => setTimeout(r, 100));
      // Many times the 64 KiB write window in one turn. Mosquitto 2.0's WebSocket listener
      // (libwebsockets) relays large messages at a few per second, so it gets smaller ones.
      const [count, size] = name === 'Mosquitto' ? [300, 2_000] : [60, 50_000];
      const payload = new Uint8Array(size);
      for (let i = 0; i < count; i++) {
        payload[0] = i & 0xff;
        payload[1] = i >> 8;
        pub.c.publish('sensor1/telemetry', payload.slice(), 1);
      }
      await until(`${count} messages`, () => sub.messages.length >= count, 30_000);
      expect(sub.messages.map((m) => m.payload[0] | (m.payload[1] << 8))).toEqual([...Array(count).keys()]);
      expect(sub.messages.every((m) => m.payload.length === size)).toBe(true);
      sub.c.end();
      pub.c.end();
    });
  }

  it('reports a broker that is not listening with the URL and a reason, then keeps retrying', async () => {
    const { c, errors } = client(1, 'crew'); // port 1: nothing listens there
    c.connect();
    await until('two failed attempts', () => errors.length >= 2);
    expect(errors[0].message).toContain('ws://127.0.0.1:1/mqtt');
    expect(errors[0].message).toMatch(/could not be opened|ECONNREFUSED/);
    c.end();
  });

  it('the embedded broker refuses a WebSocket without the "mqtt" subprotocol, saying why', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${aedes.wsPort}/mqtt`);
    const error = await new Promise<Error>((resolve) => ws.on('error', resolve));
    expect(error.message).toContain('400');
  });

  it('a broker outage disconnects the client, which reconnects and gets what its persistent session kept', async () => {
    const gapBroker = await broker();
    try {
      const sub = client(gapBroker.wsPort, 'crew-2', { cleanSession: false });
      sub.c.subscribe('sensor1/#', 1);
      sub.c.connect();
      await connected(sub.c);
      await new Promise((r) => setTimeout(r, 100));
      sub.c.end(); // the page is closed; its session stays at the broker
      const pub = client(gapBroker.wsPort, 'sensor1');
      pub.c.connect();
      await connected(pub.c);
      for (let i = 0; i < 5; i++) pub.c.publish('sensor1/telemetry', String(i), 1);
      await new Promise((r) => setTimeout(r, 300));
      await gapBroker.goDown();
      await gapBroker.comeBack();
      const again = client(gapBroker.wsPort, 'crew-2', { cleanSession: false });
      again.c.connect();
      await until('five queued messages', () => again.messages.length >= 5);
      expect(again.messages.map((m) => new TextDecoder().decode(m.payload))).toEqual(['0', '1', '2', '3', '4']);
      again.c.end();
      pub.c.end();
    } finally {
      await gapBroker.close();
    }
  });

  it('the embedded broker enforces the access policy over WebSocket: the news station gets the emergency, never the altitude', async () => {
    const news = client(aedes.wsPort, 'news-station-2');
    const device = client(aedes.wsPort, 'sensor1');
    const granted = new Map<number, number[]>();
    news.c.on('subscribed', (token, codes) => granted.set(token, codes));
    const emergency = news.c.subscribe('sensor1/emergency', 1);
    const altitude = news.c.subscribe('sensor1/altitude', 1);
    news.c.connect();
    device.c.connect();
    await connected(news.c);
    await connected(device.c);
    await until('two SUBACKs', () => granted.size >= 2);
    expect([granted.get(emergency), granted.get(altitude)]).toEqual([[1], [0x80]]);
    device.c.publish('sensor1/altitude', '1523.4', 1);
    device.c.publish('sensor1/emergency', '{"active":true,"kind":"crash"}', 1);
    await until('the emergency', () => news.messages.length >= 1);
    await new Promise((r) => setTimeout(r, 200)); // the altitude, had it been let through, came first
    expect(news.messages.map((m) => m.topic)).toEqual(['sensor1/emergency']);
    news.c.end();
    device.c.end();
  });
});
