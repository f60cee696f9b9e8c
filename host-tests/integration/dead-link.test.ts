// A link that dies without a word, found in time: our client on a virtual clock talks to a real
// Mosquitto through a proxy that makes the connection silently dead (half-open TCP, a broker that
// stops answering but keeps the socket, a NAT that forgets the mapping). Whatever the client was doing
// (idle, streaming QoS 0, a QoS 1 publish in flight), it must notice within 1.5 × keepalive, reconnect
// over a fresh path, and deliver what was in flight. Time is virtual, the sockets and the broker real:
// between clock steps the test yields to the event loop so real packets land.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultyProxy, type FaultyProxy, type LinkFault } from '../fakes/faulty-proxy';
import { VirtualClock } from '../fakes/virtual-clock';
import { startMosquitto, type Mosquitto } from '../support/mosquitto';
import { decode, testClient, type TestClient } from '../support/test-client';

const KEEPALIVE_S = 60;
const STEP_MS = 500;

let broker: Mosquitto;
let proxy: FaultyProxy;
const clients: TestClient[] = [];

beforeAll(async () => {
  broker = await startMosquitto();
  proxy = await startFaultyProxy(broker.port, { cuts: false });
});
afterAll(async () => {
  for (const c of clients) c.client.end();
  await proxy.close();
  await broker.close();
});

const realTurn = () => new Promise((resolve) => setTimeout(resolve, 2));

type Activity = 'idle' | 'QoS 0 every second' | 'QoS 1 in flight';

describe('a silently dead link is found within 1.5 × keepalive (virtual clock, real Mosquitto, fault proxy)', () => {
  const cases: [LinkFault, Activity, string][] = [];
  for (const fault of ['half-open', 'broker-silent', 'nat-rebind'] as const) {
    cases.push([fault, 'idle', 'PINGRESP_TIMEOUT'], [fault, 'QoS 0 every second', 'PINGRESP_TIMEOUT'], [fault, 'QoS 1 in flight', 'ACK_TIMEOUT']);
  }

  it.each(cases)('%s, client %s: closed with %s, reconnected, nothing lost', async (fault, activity, expectedCode) => {
    const clock = new VirtualClock();
    const id = `dead-${fault}-${activity.replace(/\W+/g, '-')}-${process.pid}`;
    const topic = `dead/${id}`;
    const watcher = testClient(broker.port, { clientId: `${id}-watch` });
    const device = testClient(proxy.port, { clientId: id, cleanSession: false, keepaliveS: KEEPALIVE_S, reconnect: { minDelayMs: 1000, maxDelayMs: 5000 } }, clock);
    clients.push(watcher, device);
    watcher.client.connect();
    await watcher.next('connect');
    watcher.client.subscribe(topic, 1);
    await watcher.next('subscribed');

    let connected = false;
    let disconnectedAt: number | undefined;
    let published = 0;
    const acknowledged: number[] = [];
    device.client.on('published', (token) => acknowledged.push(token));
    device.client.on('connect', () => (connected = true));
    device.client.on('disconnect', () => {
      connected = false;
      disconnectedAt ??= clock.now();
    });
    /**
     * Advances virtual time in steps, with the activity, until `done` or `maxMs`. While the link is
     * healthy, time stands still until the real broker's answers are in (a loaded machine may take a
     * while), so no deadline runs out for want of real time; once the link is dead, it never waits.
     */
    let linkDead = false;
    const settle = async () => {
      const session = device.client.session;
      for (let i = 0; i < 1000 && !linkDead && (session.awaitingAnswer || session.state === 'opening' || session.state === 'connecting'); i++) await realTurn();
    };
    const run = async (maxMs: number, done: () => boolean = () => false) => {
      for (let waited = 0; waited < maxMs && !done(); waited += STEP_MS) {
        await realTurn();
        await settle();
        clock.advance(STEP_MS);
        if (activity === 'QoS 0 every second' && clock.now() % 1000 === 0 && connected) device.client.publish(topic, `reading ${++published}`, 0);
      }
      await realTurn();
    };
    device.client.connect();
    await run(10_000, () => connected);
    expect(connected).toBe(true);

    // Healthy for 1.5 keepalives: pings (or acks) are answered, nothing is declared dead. The link then
    // dies just after the second PINGRESP (at 90 s): the worst moment, ¾ keepalive before the next ping.
    if (activity === 'QoS 1 in flight') {
      const before = device.client.publish(topic, 'before', 1);
      await run(5_000, () => acknowledged.includes(before));
      expect(acknowledged).toContain(before);
    }
    await run(1.5 * KEEPALIVE_S * 1000 + STEP_MS);
    expect(disconnectedAt).toBeUndefined();
    expect(device.errors).toEqual([]);

    // The link dies without a word.
    const connectionsBefore = proxy.connections;
    proxy.fault(fault);
    linkDead = true;
    const diedAt = clock.now();
    let inFlight: number | undefined;
    if (activity === 'QoS 1 in flight') inFlight = device.client.publish(topic, 'in flight when the link died', 1);
    await run(3 * KEEPALIVE_S * 1000, () => disconnectedAt !== undefined);
    expect(disconnectedAt, 'the dead link was never noticed').toBeDefined();
    expect(disconnectedAt! - diedAt).toBeLessThanOrEqual(1.5 * KEEPALIVE_S * 1000);
    expect((device.errors[0] as Error & { code?: string }).code).toBe(expectedCode);

    // Back over a fresh path; what was in flight arrives.
    linkDead = false;
    await run(30_000, () => connected);
    expect(connected).toBe(true);
    expect(proxy.connections).toBeGreaterThan(connectionsBefore);
    if (inFlight !== undefined) {
      await run(10_000, () => acknowledged.includes(inFlight));
      expect(acknowledged).toContain(inFlight);
      for (let i = 0; i < 200 && !watcher.messages.some((m) => decode(m.payload) === 'in flight when the link died'); i++) await realTurn();
      expect(watcher.messages.map((m) => decode(m.payload))).toContain('in flight when the link died');
    }
    device.client.end();
    watcher.client.end();
  }, 60_000);
});
