// Our client publishing through a link that keeps breaking (a proxy cutting the TCP connection every
// few kilobytes, mid-packet or not) to a real Mosquitto: QoS 1 loses nothing, QoS 2 delivers each
// message exactly once, and both keep their order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultyProxy, type FaultyProxy } from '../fakes/faulty-proxy';
import { lastLines, waitUntil } from '../support/deadline';
import { startMosquitto, type Mosquitto } from '../support/mosquitto';
import { decode, testClient, type TestClient } from '../support/test-client';

let broker: Mosquitto;
let proxy: FaultyProxy;
const clients: TestClient[] = [];

beforeAll(async () => {
  broker = await startMosquitto();
  proxy = await startFaultyProxy(broker.port, { seed: 42 });
});
afterAll(async () => {
  for (const c of clients) c.client.end();
  await proxy.close();
  await broker.close();
});

describe('publishing over a flaky link', () => {
  it.each([1, 2] as const)('QoS %i: every message arrives, in order, through repeated cuts', async (qos) => {
    const count = 300;
    const topic = `flaky/${qos}`;
    const receiver = testClient(broker.port, { clientId: `flaky-rx-${qos}-${Date.now()}`, cleanSession: false });
    const sender = testClient(proxy.port, {
      clientId: `flaky-tx-${qos}-${Date.now()}`,
      cleanSession: false,
      maxInflight: 8,
      reconnect: { minDelayMs: 20, maxDelayMs: 100 },
    });
    clients.push(receiver, sender);
    const up = receiver.next('connect');
    receiver.client.connect();
    await up;
    receiver.client.subscribe(topic, 2);
    await receiver.next('subscribed');
    let acknowledged = 0;
    let next = 1;
    // The client queues nothing: the next reading goes in as soon as an ack frees a slot.
    const publishMore = () => {
      for (; next <= count && sender.client.canPublish(qos); next++) sender.client.publish(topic, `reading ${next} ${'x'.repeat(40)}`, qos);
    };
    sender.client.on('published', () => {
      acknowledged++;
      publishMore();
    });
    sender.client.connect();
    publishMore();
    const cutsBefore = proxy.cuts;
    const context = () => `${acknowledged} acknowledged, ${receiver.messages.length} received, ${proxy.cuts - cutsBefore} cuts\n${lastLines('mosquitto', broker.log())}`;
    await waitUntil(`PUBACKs${qos === 2 ? '/PUBCOMPs' : ''} for all ${count} messages through the flaky link`, () => acknowledged >= count, { timeoutMs: 30_000, context });
    expect(acknowledged).toBe(count);
    expect(proxy.cuts - cutsBefore).toBeGreaterThan(3); // the link really broke, several times
    await waitUntil(`all ${count} messages at the receiver`, () => receiver.messages.length >= count, { timeoutMs: 5_000, context });
    const numbers = receiver.messages.map((m) => Number(decode(m.payload).split(' ')[1]));
    const distinct = [...new Set(numbers)];
    expect(distinct).toEqual(Array.from({ length: count }, (_, i) => i + 1)); // nothing lost, first arrivals in order
    if (qos === 2) expect(numbers).toHaveLength(count); // exactly once
  }, 60_000);
});
