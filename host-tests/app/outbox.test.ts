// The node's one buffering policy (src/app/outbox.ts), against a transport that behaves like our MQTT
// client: a publish takes one of `window` slots until its PUBACK, and is refused when none is free.
import { describe, expect, it } from 'vitest';
import { Outbox, type OutboxTransport } from '../../src/app/outbox';

class SlotTransport implements OutboxTransport {
  connected = true;
  readonly sent: string[] = [];
  readonly inflight = new Map<number, string>();
  #token = 0;
  constructor(readonly slots: number) {}
  publish(topic: string, payload: Uint8Array, qos: 0 | 1): number {
    if (qos === 1 && this.inflight.size >= this.slots) throw new Error('WINDOW_FULL: the outbox overran the session');
    const token = ++this.#token;
    const text = `${topic}:${new TextDecoder().decode(payload)}`;
    this.sent.push(text);
    if (qos === 1) this.inflight.set(token, text);
    return token;
  }
  /** The broker acknowledges the oldest in-flight message. */
  ackOldest(outbox: Outbox): void {
    const [token] = this.inflight.keys();
    this.inflight.delete(token);
    outbox.delivered(token);
    outbox.pump(this);
  }
}

const bytes = (s: string) => new TextEncoder().encode(s);

describe('outbox: one buffering policy', () => {
  it('sends nothing while the link is down, then emergencies first, replies and state next, telemetry last in seq order', () => {
    const outbox = new Outbox(100, 2);
    const link = new SlotTransport(2);
    link.connected = false;
    for (let seq = 1; seq <= 3; seq++) outbox.add('telemetry', 't', bytes(String(seq)), false);
    outbox.add('reply', 'r', bytes('pong'), false);
    outbox.add('emergency', 'e', bytes('crash'), true);
    outbox.add('state', 's', bytes('online'), true);
    outbox.pump(link);
    expect(link.sent).toEqual([]);
    link.connected = true;
    outbox.pump(link);
    expect(link.sent).toEqual(['e:crash', 'r:pong']); // the window holds two
    while (link.inflight.size > 0) link.ackOldest(outbox);
    expect(link.sent).toEqual(['e:crash', 'r:pong', 's:online', 't:1', 't:2', 't:3']);
    expect(outbox.size).toBe(0);
  });

  it('never has more than the window in flight, and forgets a message only at its acknowledgement', () => {
    const outbox = new Outbox(100, 3);
    const link = new SlotTransport(3);
    for (let seq = 1; seq <= 10; seq++) outbox.add('telemetry', 't', bytes(String(seq)), false);
    outbox.pump(link);
    expect(link.inflight.size).toBe(3);
    expect(outbox.size).toBe(10);
    link.ackOldest(outbox);
    expect(outbox.size).toBe(9);
    expect(link.inflight.size).toBe(3);
  });

  it('when full drops only the oldest waiting telemetry, counted; emergencies and replies are never dropped', () => {
    const outbox = new Outbox(3, 2);
    const link = new SlotTransport(2);
    link.connected = false;
    outbox.add('emergency', 'e', bytes('raised'), true);
    for (let seq = 1; seq <= 6; seq++) outbox.add('telemetry', 't', bytes(String(seq)), false);
    for (let i = 1; i <= 5; i++) outbox.add('reply', 'r', bytes(String(i)), false);
    expect(outbox.dropped).toBe(3);
    link.connected = true;
    outbox.pump(link);
    while (link.inflight.size > 0) link.ackOldest(outbox);
    expect(link.sent).toEqual(['e:raised', 'r:1', 'r:2', 'r:3', 'r:4', 'r:5', 't:4', 't:5', 't:6']);
  });

  it('sends a live value only when it can go at once, and never keeps it', () => {
    const outbox = new Outbox(100, 1);
    const link = new SlotTransport(1);
    expect(outbox.sendLive(link, 'a', bytes('1.0'), 1, false)).toBe(true);
    expect(outbox.sendLive(link, 'a', bytes('2.0'), 1, false)).toBe(false); // its one slot is taken
    expect(outbox.sendLive(link, 'a', bytes('2.5'), 0, false)).toBe(true); // QoS 0 needs no slot
    outbox.add('telemetry', 't', bytes('1'), false);
    link.ackOldest(outbox); // the live value's ack frees the slot for the waiting telemetry
    expect(outbox.sendLive(link, 'a', bytes('3.0'), 1, false)).toBe(false);
    link.connected = false;
    expect(outbox.sendLive(link, 'a', bytes('4.0'), 0, false)).toBe(false);
    expect(link.sent).toEqual(['a:1.0', 'a:2.5', 't:1']);
    expect(outbox.size).toBe(1);
  });
});
