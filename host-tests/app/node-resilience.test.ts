// The node through what the field throws at it, on fake ports: the network link going away and
// coming back (it reconnects at once), and a driver that throws what it should not. (Power losses:
// power-loss.test.ts and fault-soak-xs.test.ts.)
import { describe, expect, it } from 'vitest';
import { SensorNode } from '../../src/app/node';
import { DEFAULT_CONFIG } from '../../src/app/config';
import type { Clock, NetworkLink } from '../../src/ports';
import { flyScenario } from '../../src/sim/scenarios';
import { BuggyBarometer } from '../fakes/buggy-barometer';
import { MemoryStore } from '../fakes/memory-store';
import { NorFlashChip } from '../fakes/moddable/flash-module';
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
      outboxFlash: new NorFlashChip({ outbox: 64 * 1024 }).open('outbox'),
      openBarometer: () => flyScenario('normal', clock).barometer,
      system: { firmwareVersion: '0.1.0', board: 'test', resetReason: 'power-on', reboot: () => {} },
      defaults: DEFAULT_CONFIG,
    });
    node.start();
    clock.advance(3_500);
    date.epochAtBoot = Date.UTC(2026, 10, 27, 10, 0, 0); // SNTP answered
    clock.advance(2_000);
    const telemetry = broker.published.filter((p) => p.topic === 'sensor1/telemetry').map((p) => p.payload);
    expect(telemetry.slice(0, 3).map((t) => JSON.parse(t))).toEqual([1, 2, 3].map((seq) => expect.objectContaining({ seq, ts: null, upMs: seq * 1000 })));
    expect(Object.keys(JSON.parse(telemetry[0]))).toEqual(['boot', 'seq', 'ts', 'upMs', 'alt', 'vs', 'p', 't', 'q']);
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
      outboxFlash: new NorFlashChip({ outbox: 64 * 1024 }).open('outbox'),
      openBarometer: () => flyScenario('normal', clock).barometer,
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

describe('the sample loop never throws', () => {
  function buggyNode(throws: Map<number, unknown>, onReading?: () => void) {
    const clock = new VirtualClock(0);
    const broker = new ScriptedBroker(clock);
    const log: string[] = [];
    const barometer = new BuggyBarometer(flyScenario('normal', clock).barometer, throws);
    const node = new SensorNode({
      broker: { host: 'broker', port: 1883 },
      clock,
      socket: broker.factory,
      store: new MemoryStore(),
      outboxFlash: new NorFlashChip({ outbox: 64 * 1024 }).open('outbox'),
      openBarometer: () => barometer,
      system: { firmwareVersion: '0.1.0', board: 'test', resetReason: 'power-on', reboot: () => {} },
      defaults: DEFAULT_CONFIG,
      log: (line) => log.push(line),
      onReading,
    });
    node.start();
    clock.advance(60_000);
    const telemetry = broker.published.filter((p) => p.topic === 'sensor1/telemetry').map((p) => JSON.parse(p.payload) as { seq: number; q: string; alt: number | null });
    return { log, telemetry, barometer };
  }

  it('turns a driver error that is not a SensorFault into a fault reading and a log line; the next sample runs', () => {
    const { log, telemetry, barometer } = buggyNode(new Map<number, unknown>([[20, new TypeError("Cannot read properties of undefined (reading 'pressure')")], [30, 'a bare string']]));
    expect(telemetry.map((t) => t.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(telemetry[19]).toMatchObject({ seq: 20, q: 'fault', alt: null });
    expect(log).toContain("sensor: unexpected TypeError: Cannot read properties of undefined (reading 'pressure') (treated as a fault; the next sample runs)");
    expect(log).toContain('sensor: unexpected a bare string (treated as a fault; the next sample runs)');
    expect(barometer.reinitialized).toBe(2); // re-initialised after each, as after any fault
    expect(telemetry.at(-1)).toMatchObject({ q: 'ok' });
    expect(telemetry.filter((t) => t.q === 'fault').length).toBeLessThanOrEqual(4); // the failing readings and the retry backoff
  });

  it('logs anything else that fails during a sample and keeps sampling', () => {
    let calls = 0;
    const { log, telemetry } = buggyNode(new Map(), () => {
      if (++calls === 10) throw new RangeError('the live view broke');
    });
    expect(calls).toBe(60);
    expect(telemetry).toHaveLength(60);
    expect(log).toContain('sample 10 failed, the next one runs: RangeError: the live view broke');
  });
});
