// What the node does with commands it must not execute, against a real Mosquitto: retained commands
// (the broker replays them to every new subscription) are ignored with a log line, and a packet
// larger than the device takes (maxPacketBytes, 8 KB on the ESP32) is dropped, acknowledged so the
// broker does not resend it forever, and logged; the node stays connected and loses nothing.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type Mosquitto } from '../support/mosquitto';
import { nodeRig, settle, type NodeRig } from '../support/node-rig';
import { decode, testClient, type TestClient } from '../support/test-client';

let broker: Mosquitto;
const cleanup: (() => void)[] = [];
let counter = 0;

beforeAll(async () => {
  broker = await startMosquitto({ persistence: true });
});
afterEach(() => {
  while (cleanup.length) cleanup.pop()!();
});
afterAll(async () => {
  await broker.close();
});

async function crew(filter: string): Promise<TestClient> {
  const client = testClient(broker.port);
  const up = client.next('connect');
  client.client.connect();
  await up;
  client.client.subscribe(filter, 1);
  await client.next('subscribed');
  cleanup.push(() => client.client.end());
  return client;
}

function node(deviceId: string, maxPacketBytes?: number): NodeRig {
  const rig = nodeRig(broker.port, { config: { deviceId }, overrides: maxPacketBytes ? { broker: { host: '127.0.0.1', port: broker.port, maxPacketBytes } } : {} });
  rig.node.start();
  cleanup.push(() => rig.node.stop());
  return rig;
}

const json = (c: TestClient, topic: string) => c.messages.filter((m) => m.topic === topic).map((m) => JSON.parse(decode(m.payload)));

describe('commands the node must not execute', () => {
  it('ignores a retained reboot and a retained zero, with a log line each, and still executes the same commands sent normally', async () => {
    const id = `retained${process.pid}x${++counter}`;
    const ground = await crew(`${id}/#`);
    // Left on the broker by a careless client: every new subscription gets them.
    ground.client.publish(`${id}/cmd/reboot`, '{"id":"stale-reboot"}', 1, true);
    ground.client.publish(`${id}/cmd/zero`, '{"id":"stale-zero","fieldElevationM":500}', 1, true);
    await ground.received(2);
    const rig = node(id);
    await rig.fly(8);
    expect(rig.log).toContain('command reboot ignored: it is a retained message (21 bytes); commands must not be retained');
    expect(rig.log).toContain('command zero ignored: it is a retained message (41 bytes); commands must not be retained');
    expect(rig.reboots).toBe(0);
    expect(json(ground, `${id}/reply`)).toEqual([]);
    const zeroed = json(ground, `${id}/info`).at(-1).referencePa;
    // The same commands, sent as commands are: executed and answered.
    ground.client.publish(`${id}/cmd/zero`, '{"id":"live-zero","fieldElevationM":500}', 1);
    for (let i = 0; i < 200 && json(ground, `${id}/reply`).length === 0; i++) await settle(5);
    expect(json(ground, `${id}/reply`)[0]).toMatchObject({ cmd: 'zero', id: 'live-zero', ok: true });
    expect(json(ground, `${id}/reply`)[0].referencePa).not.toBe(zeroed);
    ground.client.publish(`${id}/cmd/reboot`, '', 0, true); // clear the retained ones
    ground.client.publish(`${id}/cmd/zero`, '', 0, true);
  });

  it('drops a command larger than the device takes, acknowledges it so it is not resent, says why, and loses no reading', async () => {
    const id = `oversized${process.pid}x${++counter}`;
    const ground = await crew(`${id}/#`);
    const rig = node(id, 8192);
    await rig.fly(5);
    const big = JSON.stringify({ id: 'huge', sampleIntervalMs: 1000, padding: 'x'.repeat(20_000) });
    ground.client.publish(`${id}/cmd/config`, big, 1);
    await rig.fly(5);
    const drop = rig.log.find((line) => line.startsWith('mqtt: dropped a PUBLISH'));
    expect(drop).toMatch(new RegExp(`^mqtt: dropped a PUBLISH of 2\\d{4} bytes on "${id}/cmd/config": this client takes packets of at most 8192 bytes \\[MQTT-2\\.2\\.3\\]$`));
    expect(rig.log.filter((line) => line.startsWith('disconnected'))).toEqual([]); // no reconnect loop: the broker had its PUBACK
    ground.client.publish(`${id}/cmd/ping`, '{"id":"after"}', 1);
    await rig.fly(3);
    expect(json(ground, `${id}/reply`).map((r) => r.id)).toEqual(['after']);
    const seqs = json(ground, `${id}/telemetry`).map((t) => t.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(seqs.length).toBeGreaterThanOrEqual(12);
  });
});
