// The node through what the field throws at it, on fake ports: the network link going away and
// coming back (it reconnects at once), and a restart on a store too small for the whole outbox.
import { describe, expect, it } from 'vitest';
import { SensorNode } from '../../src/app/node';
import { DEFAULT_CONFIG } from '../../src/app/config';
import type { Clock, NetworkLink } from '../../src/ports';
import { SimulatedBarometer } from '../../src/sensor/simulated';
import { MemoryStore } from '../fakes/memory-store';
import { ScriptedBroker } from '../fakes/scripted-broker';
import { VirtualClock } from '../fakes/virtual-clock';

class FakeLink implements NetworkLink {
  up = true;
  started = false;
  readonly #listeners: ((up: boolean, reason: string) => void)[] = [];
  start(): void {
    this.started = true;
  }
  onChange(listener: (up: boolean, reason: string) => void): void {
    this.#listeners.push(listener);
  }
  set(up: boolean, reason: string): void {
    this.up = up;
    for (const listener of this.#listeners) listener(up, reason);
  }
}

describe('node and the date', () => {
  it('says so while it does not know the date ("ts":null and the uptime), never a made-up one, and stamps the date once it is known', () => {
    const clock = new VirtualClock(0); // the device counts from boot
    const date: { epochAtBoot?: number } = {}; // set when SNTP answers
    const deviceClock: Clock = {
      now: () => clock.now(),
      epochMs: () => (date.epochAtBoot === undefined ? undefined : date.epochAtBoot + clock.now()),
      setTimer: (callback, ms) => clock.setTimer(callback, ms),
      setRepeatingTimer: (callback, ms) => clock.setRepeatingTimer(callback, ms),
      clearTimer: (handle) => clock.clearTimer(handle),
    };
    const broker = new ScriptedBroker(clock);
    const node = new SensorNode({
      broker: { host: 'broker', port: 1883 },
      clock: deviceClock,
      socket: broker.factory,
      store: new MemoryStore(),
      openBarometer: () => new SimulatedBarometer({ clock, scenario: 'normal' }),
      system: { firmwareVersion: '0.1.0', board: 'test', resetReason: 'power-on', reboot: () => {} },
      defaults: DEFAULT_CONFIG,
    });
    node.start();
    clock.advance(3_500);
    date.epochAtBoot = Date.UTC(2026, 10, 27, 10, 0, 0); // SNTP answered
    clock.advance(2_000);
    const telemetry = broker.published.filter((p) => p.topic === 'sensor1/telemetry').map((p) => p.payload);
    expect(telemetry.slice(0, 3).map((t) => JSON.parse(t))).toEqual([1, 2, 3].map((seq) => expect.objectContaining({ seq, ts: null, upMs: seq * 1000 })));
    expect(Object.keys(JSON.parse(telemetry[0]))).toEqual(['seq', 'ts', 'upMs', 'alt', 'vs', 'p', 't', 'q']);
    expect(JSON.parse(telemetry[3])).toMatchObject({ seq: 4, ts: date.epochAtBoot + 4000 });
    expect(JSON.parse(telemetry[3])).not.toHaveProperty('upMs');
  });
});

describe('node and network link', () => {
  it('reconnects as soon as the link is back, and delivers what it kept', () => {
    const clock = new VirtualClock(0);
    const broker = new ScriptedBroker(clock);
    const link = new FakeLink();
    const log: string[] = [];
    const node = new SensorNode({
      broker: { host: 'broker', port: 1883 },
      clock,
      socket: broker.factory,
      store: new MemoryStore(),
      openBarometer: () => new SimulatedBarometer({ clock, scenario: 'normal' }),
      system: { firmwareVersion: '0.1.0', board: 'test', resetReason: 'power-on', reboot: () => {} },
      network: link,
      defaults: DEFAULT_CONFIG,
      log: (line) => log.push(line),
    });
    node.start();
    expect(link.started).toBe(true);
    clock.advance(10_000);
    // The link drops (the broker is unreachable with it) for long enough that the MQTT backoff grows.
    link.set(false, 'lost the access point');
    broker.goOffline();
    clock.advance(120_000);
    expect(node.client.connected).toBe(false);
    broker.online = true;
    link.set(true, 'connected to the access point');
    clock.advance(100); // far less than the backoff the client had reached
    expect(node.client.connected).toBe(true);
    clock.advance(5_000);
    const seqs = broker.published.filter((p) => p.topic === 'sensor1/telemetry').map((p) => JSON.parse(p.payload).seq as number);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(seqs.length).toBeGreaterThanOrEqual(134);
    expect(log).toContain('network down: lost the access point');
    expect(log).toContain('network up: connected to the access point');
  });
});

describe('node state across a restart on a small store', () => {
  it('keeps every emergency and the newest telemetry that fit the store, in order', () => {
    const clock = new VirtualClock(0);
    const broker = new ScriptedBroker(clock);
    broker.online = false; // nothing can be delivered: everything waits in the outbox
    const store = Object.assign(new MemoryStore(), { maxValueChars: 4000 });
    const make = () =>
      new SensorNode({
        broker: { host: 'broker', port: 1883 },
        clock,
        socket: broker.factory,
        store,
        openBarometer: () => new SimulatedBarometer({ clock, scenario: 'crash', startMs: 0 }),
        system: { firmwareVersion: '0.1.0', board: 'test', resetReason: 'power-on', reboot: () => {} },
        defaults: DEFAULT_CONFIG,
      });
    const first = make();
    first.start();
    clock.advance(400_000); // a crash flight: emergencies among 400 readings
    const waiting = first.outbox.snapshot();
    const emergencies = waiting.filter((m) => m.kind === 'emergency');
    expect(emergencies.length).toBeGreaterThan(0);
    first.saveState();
    expect(store.get('state')!.length).toBeLessThanOrEqual(4000);
    const second = make();
    const restored = second.outbox.snapshot();
    expect(restored.filter((m) => m.kind === 'emergency')).toEqual(emergencies);
    const seqOf = (m: { payload: string }) => JSON.parse(m.payload).seq as number;
    const telemetry = restored.filter((m) => m.kind === 'telemetry').map(seqOf);
    expect(telemetry.length).toBeGreaterThan(10);
    expect(telemetry.at(-1)).toBe(seqOf(waiting.filter((m) => m.kind === 'telemetry').at(-1)!)); // the newest kept
    expect(telemetry).toEqual([...telemetry].sort((a, b) => a - b));
  });
});
