// The sensor node end to end on loopback: our node (Node adapters, simulated flight, virtual clock)
// publishing to a real Mosquitto, with ground clients subscribed as the crew and the news desk.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../support/deadline';
import { startMosquitto, type Mosquitto } from '../support/mosquitto';
import { nodeRig, settle, type NodeRig } from '../support/node-rig';
import { decode, testClient, type TestClient } from '../support/test-client';
import { MemoryStore } from '../fakes/memory-store';
import { OUTBOX_WINDOW } from '../../src/app/outbox';

let broker: Mosquitto;
const cleanup: (() => void)[] = [];
let idCounter = 0;

async function ground(filter: string): Promise<TestClient> {
  const c = testClient(broker.port);
  const up = c.next('connect');
  c.client.connect();
  await up;
  c.client.subscribe(filter, 1);
  await c.next('subscribed');
  cleanup.push(() => c.client.end());
  return c;
}

function startNode(options: Parameters<typeof nodeRig>[1] = {}): NodeRig {
  const deviceId = options.config?.deviceId ?? `node${process.pid}x${++idCounter}`;
  const rig = nodeRig(broker.port, { ...options, config: { deviceId, ...options.config } });
  rig.node.start();
  cleanup.push(() => rig.node.stop());
  return rig;
}

const text = (c: TestClient, topic: string) => c.messages.filter((m) => m.topic === topic).map((m) => decode(m.payload));
const json = (c: TestClient, topic: string) => text(c, topic).map((t) => JSON.parse(t));

async function command(crew: TestClient, id: string, name: string, payload: unknown): Promise<Record<string, unknown>> {
  const before = json(crew, `${id}/reply`).length;
  crew.client.publish(`${id}/cmd/${name}`, typeof payload === 'string' ? payload : JSON.stringify(payload), 1);
  for (let i = 0; i < 200 && json(crew, `${id}/reply`).length === before; i++) await settle(5);
  return json(crew, `${id}/reply`)[before];
}

beforeAll(async () => {
  broker = await startMosquitto({ persistence: true });
});
afterEach(() => {
  while (cleanup.length) cleanup.pop()!();
});
afterAll(async () => {
  await broker.close();
});

describe('sensor node', () => {
  it('publishes status, info, the plain altitude and telemetry JSON with seq, ts and quality', async () => {
    const rig = startNode();
    const id = rig.node.config.deviceId;
    const crew = await ground(`${id}/#`);
    await rig.fly(400); // inflation, then the first 100 s of the climb
    expect(text(crew, `${id}/status`)).toContain('online');
    const info = json(crew, `${id}/info`).at(-1);
    expect(info).toMatchObject({ fw: '0.1.0', board: 'test', chip: 'SIMULATED', resetReason: 'power-on', dropped: 0 });
    const altitudes = text(crew, `${id}/altitude`);
    expect(altitudes.every((a) => /^-?\d+(\.\d)?$/.test(a))).toBe(true);
    expect(Number(altitudes.at(-1))).toBeGreaterThan(200);
    const telemetry = json(crew, `${id}/telemetry`);
    expect(telemetry.map((t) => t.seq)).toEqual(Array.from({ length: telemetry.length }, (_, i) => i + 1));
    expect(telemetry.at(-1)).toMatchObject({ q: 'ok' });
    expect(Object.keys(telemetry.at(-1))).toEqual(['boot', 'seq', 'ts', 'alt', 'vs', 'p', 't', 'q']);
    expect(telemetry.at(-1).vs).toBeGreaterThan(2);
  });

  it('answers every command on reply: ping, config (whole or nothing, persisted), zero, and errors in words', async () => {
    const rig = startNode();
    const id = rig.node.config.deviceId;
    const crew = await ground(`${id}/#`);
    await rig.fly(5);
    expect(await command(crew, id, 'ping', { id: 7 })).toMatchObject({ cmd: 'ping', id: 7, ok: true });
    expect(await command(crew, id, 'config', { id: 'a', sampleIntervalMs: 500, emergency: { rapidDescentMps: 5 } })).toMatchObject({ ok: true, id: 'a' });
    expect(rig.node.config.sampleIntervalMs).toBe(500);
    expect(JSON.parse(rig.store.get('config')!)).toMatchObject({ sampleIntervalMs: 500, emergency: { rapidDescentMps: 5 } });
    const storedBefore = rig.store.get('config');
    const refused = await command(crew, id, 'config', { id: 'b', sampleIntervalMs: 20, colour: 'red' });
    expect(refused).toMatchObject({ cmd: 'config', id: 'b', ok: false });
    expect(refused.error).toContain('sampleIntervalMs must be between 100 and 3600000, not 20');
    expect(refused.error).toContain('unknown setting colour');
    expect(rig.store.get('config')).toBe(storedBefore);
    expect(rig.node.config.sampleIntervalMs).toBe(500);
    const zero = await command(crew, id, 'zero', { qnh: 101_000 });
    expect(zero).toMatchObject({ ok: true, referencePa: 101_000 });
    const field = await command(crew, id, 'zero', { fieldElevationM: 250 });
    expect(field.ok).toBe(true);
    await rig.fly(2);
    expect(Number(text(crew, `${id}/altitude`).at(-1))).toBeCloseTo(250, -1); // on the ground, reading the field elevation
    expect((await command(crew, id, 'zero', { fieldElevationM: 'high' })).error).toMatch(/must be the launch site's elevation/);
    expect(await command(crew, id, 'launch', {})).toMatchObject({ ok: false, error: 'unknown command "launch"; the commands are config, zero, ota, reboot, ping' });
    expect((await command(crew, id, 'ping', '{not json')).error).toMatch(/not valid JSON/);
    expect(await command(crew, id, 'ota', { version: '2.0.0' })).toMatchObject({ ok: false, error: 'over-the-air update is not available in this build' });
    expect(await command(crew, id, 'reboot', { id: 9 })).toMatchObject({ ok: true, id: 9 });
    await rig.fly(2);
    expect(rig.reboots).toBe(1);
  });

  it('publishes Home Assistant discovery when enabled, and removes it when disabled', async () => {
    const rig = startNode();
    const id = rig.node.config.deviceId;
    const crew = await ground(`${id}/#`);
    const hass = await ground(`homeassistant/sensor/${id}/+/config`);
    await rig.fly(2);
    await command(crew, id, 'config', { homeAssistant: true });
    for (let i = 0; i < 100 && hass.messages.length < 4; i++) await settle(10);
    const configs = Object.fromEntries(hass.messages.map((m) => [m.topic.split('/')[3], JSON.parse(decode(m.payload))]));
    expect(Object.keys(configs).sort()).toEqual(['altitude', 'pressure', 'temperature', 'vertical_speed']);
    expect(configs.altitude).toMatchObject({
      state_topic: `${id}/telemetry`,
      value_template: '{{ value_json.alt }}',
      unit_of_measurement: 'm',
      availability_topic: `${id}/status`,
      payload_available: 'online',
      unique_id: `${id}_altitude`,
    });
    await command(crew, id, 'config', { homeAssistant: false });
    for (let i = 0; i < 100 && hass.messages.length < 8; i++) await settle(10);
    expect(hass.messages.slice(4).map((m) => m.payload.length)).toEqual([0, 0, 0, 0]); // empty retained: removed
  });

  it('keeps its config across a restart', async () => {
    const store = new MemoryStore();
    const first = startNode({ store });
    const id = first.node.config.deviceId;
    const crew = await ground(`${id}/#`);
    await first.fly(2);
    await command(crew, id, 'config', { altitudeRetain: true, outboxSize: 50 });
    first.node.stop();
    const second = startNode({ store, config: { deviceId: id } });
    expect(second.node.config).toMatchObject({ altitudeRetain: true, outboxSize: 50 });
  });

  it('loses no reading through a broker outage: the backlog arrives in order with original seq and ts', async () => {
    const rig = startNode();
    const id = rig.node.config.deviceId;
    const crew = testClient(broker.port, { clientId: `crew-${id}`, cleanSession: false });
    const up = crew.next('connect');
    crew.client.connect();
    await up;
    crew.client.subscribe(`${id}/telemetry`, 1);
    await crew.next('subscribed');
    cleanup.push(() => crew.client.end());
    await rig.fly(30);
    await broker.stop();
    await rig.fly(120); // two minutes without a broker
    expect(rig.node.outbox.size).toBeGreaterThan(100);
    await broker.restart();
    await rig.fly(60); // reconnect (backoff) and drain
    for (let i = 0; i < 100 && rig.node.outbox.size > 0; i++) await settle(10);
    // The crew reconnects on its own (real-time) backoff; the broker holds the backlog for it until then.
    for (let i = 0; i < 300 && json(crew, `${id}/telemetry`).length < 210; i++) await settle(10);
    const seqs = json(crew, `${id}/telemetry`).map((t) => t.seq);
    expect(seqs.length).toBeGreaterThanOrEqual(210);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    const ts = json(crew, `${id}/telemetry`).map((t) => t.ts);
    expect(ts.every((t, i) => i === 0 || t - ts[i - 1] === 1000)).toBe(true);
  });

  it('after a broker outage during a crash, publishes the emergency before the telemetry backlog; telemetry keeps its order and seq', async () => {
    const rig = startNode({ scenario: 'crash' });
    const id = rig.node.config.deviceId;
    // The crew records the order in which the broker delivers everything (a persistent QoS 1 session).
    const crew = testClient(broker.port, { clientId: `crew-${id}`, cleanSession: false });
    const up = crew.next('connect');
    crew.client.connect();
    await up;
    crew.client.subscribe(`${id}/#`, 1);
    await crew.next('subscribed');
    cleanup.push(() => crew.client.end());
    await rig.fly(150);
    await broker.stop(); // the broker is gone from before the balloon starts falling until after it has crashed
    const before = crew.messages.length;
    const lastSeqBeforeOutage = rig.node.seq;
    await rig.fly(270);
    expect(rig.log.some((line) => line.startsWith('emergency RAISED'))).toBe(true);
    const backlog = rig.node.outbox.size;
    expect(backlog).toBeGreaterThan(250);
    await broker.restart();
    await rig.fly(30);
    for (let i = 0; i < 500 && rig.node.outbox.size > 0; i++) await settle(10);
    for (let i = 0; i < 500 && json(crew, `${id}/telemetry`).length < 440; i++) await settle(10);
    const after = crew.messages.slice(before).map((m) => ({ topic: m.topic, body: decode(m.payload) }));
    const firstEmergency = after.findIndex((m) => m.topic === `${id}/emergency` && JSON.parse(m.body).active === true);
    expect(firstEmergency).toBeGreaterThanOrEqual(0);
    // Only what was on the wire at the cut may go first (MQTT resends it first); never the backlog.
    // Readings the broker took before it stopped, and still owed the crew, may also come first (on
    // a loaded machine the crew lags): they are not the backlog, which is every seq after the cut.
    const backlogFirst = after.slice(0, firstEmergency).filter((m) => m.topic === `${id}/telemetry` && (JSON.parse(m.body).seq as number) > lastSeqBeforeOutage);
    expect(backlogFirst.length).toBeLessThan(OUTBOX_WINDOW);
    expect(after.slice(firstEmergency).filter((m) => m.topic === `${id}/telemetry`).length).toBeGreaterThan(250);
    // QoS 1: what was in flight at the cut may arrive twice; first arrivals are every seq, in order.
    const seqs = [...new Set(json(crew, `${id}/telemetry`).map((t) => t.seq as number))];
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
  });

  it('raises a crash emergency that the news desk, subscribed to emergencies only, receives (retained)', async () => {
    const rig = startNode({ scenario: 'crash' });
    const id = rig.node.config.deviceId;
    const news = await ground(`${id}/emergency`);
    await rig.fly(360);
    const emergencies = json(news, `${id}/emergency`);
    expect(emergencies.map((e) => `${e.kind}:${e.active}`)).toContain('crash:true');
    expect(emergencies.find((e) => e.kind === 'crash')).toMatchObject({ active: true, msg: expect.stringContaining('impact') });
    const late = await ground(`${id}/emergency`); // a subscriber arriving later still learns of it
    await settle(50);
    expect(json(late, `${id}/emergency`).at(-1)).toMatchObject({ kind: 'crash', active: true });
  });
});

describe('sensor node during an over-the-air update', () => {
  it('keeps publishing telemetry while the image downloads, and keeps its readings and sequence across the reboot', async () => {
    // The updater with the firmware's own Moddable adapters over an emulated ESP32 (see
    // host-tests/ota/updater.test.ts); the node on the Node adapters and a real broker.
    const { createUpdater } = await import('../../src/platform/moddable/firmware-update');
    const { verifyP256Signature } = await import('../../src/ota/p256');
    const { Esp32Device, installDevice } = await import('../fakes/moddable/esp32-device');
    const { makeEspImage } = await import('../fakes/moddable/esp-image');
    const { generateKeyPair, manifestFor } = await import('../../host/ota/signing');
    const keys = generateKeyPair();
    const store = new MemoryStore();
    const { VirtualClock } = await import('../fakes/virtual-clock');
    const clock = new VirtualClock();
    const device = installDevice(new Esp32Device({ firmwareVersion: '0.1.0', clock }));
    device.imageServer.chunkDelayMs = 200; // a slow link: 100 chunks take 20 s
    const image = makeEspImage('0.2.0', 100 * 1024);
    device.imageServer.files.set('http://images.local/a.bin', image);
    let rebooted = false;
    const updater = createUpdater(
      { otaPublicKey: keys.publicKeyHex, otaPartitionBytes: 0x170000 },
      {
        board: 'test',
        currentVersion: '0.1.0',
        clock,
        store,
        reboot: () => {
          rebooted = true;
        },
        log: () => {},
        verifySignature: verifyP256Signature,
      },
    )!;
    const rig = startNode({ store, clock, overrides: { ota: updater } });
    const id = rig.node.config.deviceId;
    const crew = await ground(`${id}/#`);
    await rig.fly(10);
    const manifest = manifestFor(image, { version: '0.2.0', board: 'test', url: 'http://images.local/a.bin', device: id, expires: '2099-01-01T00:00:00Z', counter: 1 }, keys.privateKeyPem);
    crew.client.publish(`${id}/cmd/ota`, JSON.stringify({ id: 'u1', ...manifest }), 1);
    await settle(100);
    await rig.fly(30);
    // The node has done it all; the last messages may still be on their way through Mosquitto.
    await waitUntil(`'rebooting' on ${id}/ota at the crew`, () => text(crew, `${id}/ota`).includes('rebooting'), {
      context: () => `${id}/ota so far: ${JSON.stringify(text(crew, `${id}/ota`))}`,
    });
    expect(json(crew, `${id}/reply`).at(-1)).toMatchObject({ cmd: 'ota', id: 'u1', ok: true, version: '0.2.0' });
    const progress = text(crew, `${id}/ota`);
    // Progress is state, not history: the outbox lets a newer one replace one still waiting, so on a
    // busy link "downloading 100%" or "verifying" may be replaced; the last state always arrives, and
    // the stages never go backwards.
    expect(progress.at(-1)).toBe('rebooting');
    const stage = (p: string) => ['downloading', 'verifying', 'rebooting'].findIndex((s) => p.startsWith(s));
    expect(progress.map(stage)).toEqual(progress.map(stage).slice().sort((a, b) => a - b));
    expect(progress.map(stage)).not.toContain(-1);
    expect(progress.filter((p) => p.startsWith('downloading')).length).toBeGreaterThanOrEqual(10);
    for (let i = 0; i < 200 && json(crew, `${id}/telemetry`).length < 40; i++) await settle(10); // let the last ones arrive
    const seqs = json(crew, `${id}/telemetry`).map((t) => t.seq);
    expect(seqs.length).toBeGreaterThanOrEqual(40); // one a second, download or not
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(rebooted).toBe(true);
    const lastSeq = seqs.at(-1)!;
    rig.node.stop();
    const after = startNode({ store, flash: rig.flash, config: { deviceId: id } });
    await after.fly(3);
    const later = json(crew, `${id}/telemetry`).map((t) => t.seq).filter((s) => s > lastSeq);
    expect(later[0]).toBeLessThanOrEqual(lastSeq + 3); // the sequence continues instead of starting again at 1
    expect(json(crew, `${id}/telemetry`).map((t) => t.seq).filter((s) => s === 1)).toHaveLength(1);
  });
});
