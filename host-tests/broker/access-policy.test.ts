// The fleet's access policy enforced by real brokers: Mosquitto running the configuration
// `npm run broker -- config` generated, and the embedded broker of `npm start`. One list of cases runs
// against both. "Nothing arrives" is never a timeout: each case ends with a message that is allowed
// and was sent after the forbidden ones on the same path, so once it is in, a leak would be too.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nodeClock } from '../../src/platform/node/clock';
import { decode, type TestClient } from '../support/test-client';
import { nodeRig, settle } from '../support/node-rig';
import { login, passwordOf, refusedLogin, startGeneratedMosquitto, startSecuredEmbedded, type SecuredBroker } from '../support/secured-brokers';

const brokers: [string, () => Promise<SecuredBroker>][] = [
  ['Mosquitto running the generated configuration', () => startGeneratedMosquitto()],
  ['the embedded broker of npm start', startSecuredEmbedded],
];

const utf8 = (text: string) => new TextEncoder().encode(text);
const waitFor = async (condition: () => boolean) => {
  while (!condition()) await settle(10);
};
const topicsOf = (c: TestClient) => c.messages.map((m) => m.topic);

describe.each(brokers)('the access policy, enforced by %s', (_name, start) => {
  let broker: SecuredBroker;
  const clients: TestClient[] = [];
  const as = async (username: string, options: Parameters<typeof login>[2] = {}) => {
    const c = await login(broker, username, options);
    clients.push(c);
    return c;
  };
  const subscribe = async (c: TestClient, filters: string[]) => {
    const done = c.next('subscribed');
    c.client.subscribe(filters.map((filter) => ({ filter, qos: 1 as const })));
    return (await done)[1];
  };
  beforeAll(async () => {
    broker = await start();
  });
  // One connection per account (the client id is the username): each case ends its clients.
  afterEach(() => {
    for (const c of clients.splice(0)) c.client.end();
  });
  afterAll(async () => {
    await broker.close();
  });

  it('gives the news station the crash of a real node, and nothing of its altitude, telemetry, status or info', async () => {
    const crew = await as('crew');
    await subscribe(crew, ['sensor1/#']);
    const rig = nodeRig(broker.port, {
      scenario: 'crash',
      overrides: { broker: { host: '127.0.0.1', port: broker.port, username: 'sensor1', password: passwordOf(broker, 'sensor1') }, networkClock: nodeClock },
    });
    rig.node.start();
    try {
      await waitFor(() => rig.node.client.connected);
      await rig.fly(10); // status and info are retained by now: a later subscriber is offered them
      const news = await as('news-station');
      const filters = ['sensor1/altitude', 'sensor1/telemetry', 'sensor1/#', '#', '+/telemetry', 'sensor1/emergency'];
      const granted = await subscribe(news, filters);
      expect(granted).toEqual(broker.refusesUselessSubscriptions ? [0x80, 0x80, 1, 1, 0x80, 1] : [1, 1, 1, 1, 1, 1]);
      const crashSeen = (c: TestClient) => c.messages.some((m) => m.topic === 'sensor1/emergency' && JSON.parse(decode(m.payload)).kind === 'crash');
      for (let s = 0; s < 900 && !crashSeen(crew); s += 10) await rig.fly(10);
      await waitFor(() => crashSeen(news));
      // The crew got everything (so it was all published); the news station only emergencies.
      expect(topicsOf(crew)).toEqual(expect.arrayContaining(['sensor1/altitude', 'sensor1/telemetry', 'sensor1/emergency']));
      expect(news.messages.length).toBeGreaterThan(0);
      expect(new Set(topicsOf(news))).toEqual(new Set(['sensor1/emergency']));
    } finally {
      await rig.node.stop();
    }
  }, 120_000);

  it("never lets air traffic control's cmd/reboot reach the node, while the crew's commands do", async () => {
    const crew = await as('crew');
    await subscribe(crew, ['sensor1/reply']);
    const rig = nodeRig(broker.port, {
      overrides: { broker: { host: '127.0.0.1', port: broker.port, username: 'sensor1', password: passwordOf(broker, 'sensor1') }, networkClock: nodeClock },
    });
    rig.node.start();
    try {
      await waitFor(() => rig.node.client.connected);
      const atc = await as('air-traffic-control');
      for (const [command, payload] of [['reboot', '{"id":"atc-reboot"}'], ['zero', '{"id":"atc-zero","qnh":90000}'], ['config', '{"id":"atc-config","sampleIntervalMs":100}']]) {
        const token = atc.client.publish(`sensor1/cmd/${command}`, payload, 1);
        await atc.next('published', (t) => t === token); // acknowledged: the broker has decided
      }
      crew.client.publish('sensor1/cmd/ping', '{"id":"crew-ping"}', 1);
      await waitFor(() => crew.messages.some((m) => decode(m.payload).includes('crew-ping')));
      await rig.fly(2); // the node's one-second reboot timer would have fired by now
      const replies = crew.messages.map((m) => JSON.parse(decode(m.payload)) as { cmd: string; id: string });
      expect(replies.map((r) => r.id)).toEqual(['crew-ping']);
      expect(rig.reboots).toBe(0);
      expect(rig.node.config.sampleIntervalMs).toBe(1000);
      if (broker.refusesUselessSubscriptions) {
        expect(broker.refusals.filter((r) => r.kind === 'publish').map((r) => `${r.username} ${r.topic}`)).toEqual(
          expect.arrayContaining(['air-traffic-control sensor1/cmd/reboot', 'air-traffic-control sensor1/cmd/zero', 'air-traffic-control sensor1/cmd/config']),
        );
      } else {
        expect(broker.log()).toMatch(/Denied PUBLISH from air-traffic-control .*'sensor1\/cmd\/reboot'/);
      }
    } finally {
      await rig.node.stop();
    }
  }, 60_000);

  it('refuses an unknown user, a wrong password and an anonymous client (CONNACK 5, not authorized)', async () => {
    expect(await refusedLogin(broker, { clientId: 'stranger', username: 'stranger', password: utf8(passwordOf(broker, 'crew')) })).toBe(5);
    expect(await refusedLogin(broker, { clientId: 'crew', username: 'crew', password: utf8(`${passwordOf(broker, 'crew')}x`) })).toBe(5);
    expect(await refusedLogin(broker, { clientId: 'sensor1', username: 'sensor1', password: utf8(passwordOf(broker, 'sensor2')) })).toBe(5);
    expect(await refusedLogin(broker, { clientId: 'anonymous' })).toBe(5);
  });

  it("lets no other account take over the device's client id or its session", async () => {
    const device = await as('sensor1', { cleanSession: false });
    await subscribe(device, ['sensor1/cmd/+']);
    let kicked = false;
    device.client.on('disconnect', () => (kicked = true));
    // Valid credentials of another party, and wrong ones, each asking for the id "sensor1".
    const crew = await as('crew', { clientId: 'sensor1', cleanSession: false });
    expect(crew.sessionPresent).toBe(false);
    const news = await as('news-station', { clientId: 'sensor1', cleanSession: false });
    expect(news.sessionPresent).toBe(false);
    expect(await refusedLogin(broker, { clientId: 'sensor1', username: 'sensor1', password: utf8('guessed') })).toBe(5);
    crew.client.publish('sensor1/cmd/ping', '{"id":"still-yours"}', 1);
    await waitFor(() => device.messages.length > 0);
    expect(kicked).toBe(false);
    expect(device.messages.map((m) => m.topic)).toEqual(['sensor1/cmd/ping']);

    // The device goes away with its session kept; a command waits in it. An intruder asking for the
    // id and a kept session gets a session of its own, empty: the command waits for the device.
    const left = device.next('close');
    device.client.end();
    await left;
    const token = crew.client.publish('sensor1/cmd/zero', '{"id":"queued"}', 1);
    await crew.next('published', (t) => t === token);
    const intruder = await as('maritime-patrol', { clientId: 'sensor1', cleanSession: false });
    expect(intruder.sessionPresent).toBe(false);
    const back = await as('sensor1', { cleanSession: false });
    expect(back.sessionPresent).toBe(true);
    await waitFor(() => back.messages.length > 0);
    expect(decode(back.messages[0].payload)).toBe('{"id":"queued"}');
    expect(intruder.messages).toEqual([]);
  });

  it('gives a party several seats that stay connected together, while one account twice keeps only the newer connection', async () => {
    const first = await as('crew');
    let firstCut = false;
    first.client.on('disconnect', () => (firstCut = true));
    const second = await as('crew-2');
    expect(await subscribe(second, ['sensor1/reply'])).toEqual([1]); // a round trip on the second seat
    expect(await subscribe(first, ['sensor1/reply'])).toEqual([1]); // and the first is still there
    expect(firstCut).toBe(false);
    const cut = first.next('disconnect');
    const again = await as('crew', { clientId: 'another-screen' }); // the same account, whatever id it asks for
    await cut;
    first.client.end(); // it would reconnect and take its id back: the policy's price, one connection per account
    expect(again.client.connected).toBe(true);
  });

  it('gives the news station nothing through $SYS or a shared subscription, retained or live', async () => {
    const device = await as('sensor1');
    for (const [topic, payload] of [['sensor1/status', 'online'], ['sensor1/info', '{"fw":"x"}']]) {
      const token = device.client.publish(topic, payload, 1, true);
      await device.next('published', (t) => t === token);
    }
    const news = await as('news-station');
    // Mosquitto keeps $SYS/broker/version and the like retained: were $SYS readable, they would come with the SUBACK.
    const granted = await subscribe(news, ['$SYS/#', '$share/g/#', '$share/g/sensor1/altitude', 'sensor1/emergency']);
    expect(granted).toEqual(broker.refusesUselessSubscriptions ? [0x80, 0x80, 0x80, 1] : [1, 1, 1, 1]);
    device.client.publish('sensor1/altitude', '1523.4', 1);
    device.client.publish('sensor1/telemetry', '{"seq":1}', 1);
    device.client.publish('sensor1/emergency', '{"active":true,"kind":"crash"}', 1);
    await waitFor(() => news.messages.some((m) => m.topic === 'sensor1/emergency' && !m.retain));
    expect(new Set(topicsOf(news))).toEqual(new Set(['sensor1/emergency']));
  });

  it("never turns another party's last will into a command, live or retained", async () => {
    const crew = await as('crew');
    await subscribe(crew, ['sensor1/cmd/#']);
    // Air traffic control leaves a retained will on the reboot command, then vanishes without DISCONNECT.
    const atc = await as('air-traffic-control', {
      will: { topic: 'sensor1/cmd/reboot', payload: utf8('{"id":"atc-will"}'), qos: 1, retain: true },
      reconnect: { minDelayMs: 600_000, maxDelayMs: 600_000 },
    });
    atc.killConnection();
    // The broker decides on the will when it sees the connection go: wait until it has (a leaked
    // will reaches the crew, and the assertions below say so).
    if (broker.refusesUselessSubscriptions) {
      await waitFor(() => crew.messages.length > 0 || broker.refusals.some((r) => r.kind === 'publish' && r.username === 'air-traffic-control' && r.topic === 'sensor1/cmd/reboot'));
    } else {
      await waitFor(() => /Client air-traffic-control closed its connection/.test(broker.log()));
    }
    atc.client.end();
    // A device subscribing now would be handed a retained will; the crew, subscribed all along, a live one.
    const device = await as('sensor1');
    await subscribe(device, ['sensor1/cmd/+']);
    crew.client.publish('sensor1/cmd/ping', '{"id":"after-the-will"}', 1);
    await waitFor(() => device.messages.length > 0 && crew.messages.length > 0);
    expect(device.messages.map((m) => decode(m.payload))).toEqual(['{"id":"after-the-will"}']);
    expect(crew.messages.map((m) => decode(m.payload))).toEqual(['{"id":"after-the-will"}']);
  });

  it("keeps a device to its own topics: another device's, its own commands and $SYS are refused", async () => {
    const crew = await as('crew');
    await subscribe(crew, ['sensor1/#', 'sensor2/#']);
    const device = await as('sensor1');
    let cut = false;
    device.client.on('disconnect', () => (cut = true));
    for (const topic of ['sensor2/altitude', 'sensor2/emergency', 'sensor2/status', 'sensor2/cmd/reboot', 'sensor1/cmd/reboot', 'sensor1/cmd', '$SYS/broker/x', 'other/topic']) {
      const t = device.client.publish(topic, 'forged', 1, true);
      await device.next('published', (x) => x === t); // acknowledged and dropped, as Mosquitto does
    }
    device.client.publish('sensor1/altitude', '12.3', 1);
    await waitFor(() => crew.messages.some((m) => m.topic === 'sensor1/altitude'));
    expect(crew.messages.filter((m) => !m.retain).map((m) => m.topic)).toEqual(['sensor1/altitude']); // retained ones are an earlier case's
    expect(cut).toBe(false);
    // Nothing forged was retained either: a later subscriber with every right finds nothing of it.
    const late = await as('air-traffic-control');
    await subscribe(late, ['sensor2/#']);
    const other = await as('sensor2');
    other.client.publish('sensor2/status', 'online', 1, true);
    await waitFor(() => late.messages.length > 0);
    expect(late.messages.map((m) => `${m.topic} ${decode(m.payload)}`)).toEqual(['sensor2/status online']);
  });
});
