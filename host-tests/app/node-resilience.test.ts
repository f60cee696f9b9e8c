// The node through what the field throws at it, on fake ports: the network link going away and
// coming back (it reconnects at once), and a restart on a store too small for the whole outbox.
import { describe, expect, it } from 'vitest';
import { SensorNode } from '../../src/app/node';
import { DEFAULT_CONFIG } from '../../src/app/config';
import type { NetworkLink } from '../../src/ports';
import { SimulatedBarometer } from '../../src/sensor/simulated';
import { MemoryStore } from '../fakes/memory-store';
import { NorFlashChip } from '../fakes/sdk-flash';
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
