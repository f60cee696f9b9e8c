// The node's one buffering policy (src/app/outbox.ts) over its flash log on the emulated SDK flash
// module, against a transport that behaves like our MQTT client: a publish takes one of `window`
// slots until its PUBACK, and is refused when none is free.
import { describe, expect, it } from 'vitest';
import { Outbox, type OutboxTransport } from '../../src/app/outbox';
import { FlashLog } from '../../src/app/flash-log';
import { topicsFor } from '../../src/app/topics';
import type { FlashArea } from '../../src/ports';
import { NorFlashChip } from '../fakes/moddable/flash-module';
import { reading, readingTime } from '../fakes/readings';

const topics = topicsFor('s');

class SlotTransport implements OutboxTransport {
  connected = true;
  readonly sent: string[] = [];
  readonly inflight = new Map<number, string>();
  #token = 0;
  constructor(readonly slots: number) {}
  publish(topic: string, payload: Uint8Array, qos: 0 | 1): number {
    if (qos === 1 && this.inflight.size >= this.slots) throw new Error('WINDOW_FULL: the outbox overran the session');
    const token = ++this.#token;
    const text = new TextDecoder().decode(payload);
    const line = topic === topics.telemetry ? `t:${JSON.parse(text).seq}` : `${topic.slice(2, 3)}:${text}`;
    this.sent.push(line);
    if (qos === 1) this.inflight.set(token, line);
    return token;
  }
  /** The broker acknowledges the oldest in-flight message. */
  ackOldest(outbox: Outbox): void {
    const [token] = this.inflight.keys();
    this.inflight.delete(token);
    outbox.delivered(token);
    outbox.pump(this);
  }
  drain(outbox: Outbox): void {
    outbox.pump(this);
    while (this.inflight.size > 0) this.ackOldest(outbox);
  }
}

const bytes = (s: string) => new TextEncoder().encode(s);
const area = (byteLength = 64 * 1024): FlashArea => new NorFlashChip({ outbox: byteLength }).open('outbox');
const outboxOn = (flash: FlashArea, capacity = 100_000, window = 2) => new Outbox(new FlashLog(flash), topics, { capacity, window });

describe('outbox: one buffering policy', () => {
  it('sends nothing while the link is down, then emergencies first, replies and state next, telemetry last in seq order', () => {
    const outbox = outboxOn(area());
    const link = new SlotTransport(2);
    link.connected = false;
    for (let seq = 1; seq <= 3; seq++) outbox.addTelemetry(1, seq, reading(seq), readingTime(seq));
    outbox.add('reply', topics.reply, bytes('pong'), false);
    outbox.add('emergency', topics.emergency, bytes('crash'), true);
    outbox.add('state', topics.status, bytes('online'), true);
    outbox.pump(link);
    expect(link.sent).toEqual([]);
    link.connected = true;
    outbox.pump(link);
    expect(link.sent).toEqual(['e:crash', 'r:pong']); // the window holds two
    link.drain(outbox);
    expect(link.sent).toEqual(['e:crash', 'r:pong', 's:online', 't:1', 't:2', 't:3']);
    expect(outbox.size).toBe(0);
  });

  it('never has more than the window in flight, and forgets a message only at its acknowledgement', () => {
    const outbox = outboxOn(area(), 100, 3);
    const link = new SlotTransport(3);
    for (let seq = 1; seq <= 10; seq++) outbox.addTelemetry(1, seq, reading(seq), readingTime(seq));
    outbox.pump(link);
    expect(link.inflight.size).toBe(3);
    expect(outbox.size).toBe(10);
    link.ackOldest(outbox);
    expect(outbox.size).toBe(9);
    expect(link.inflight.size).toBe(3);
  });

  it('when more readings wait than its capacity, drops only the oldest telemetry, counted; emergencies and replies never', () => {
    const outbox = outboxOn(area(), 3);
    const link = new SlotTransport(2);
    link.connected = false;
    outbox.add('emergency', topics.emergency, bytes('raised'), true);
    for (let seq = 1; seq <= 6; seq++) outbox.addTelemetry(1, seq, reading(seq), readingTime(seq));
    for (let i = 1; i <= 5; i++) outbox.add('reply', topics.reply, bytes(String(i)), false);
    expect(outbox.dropped).toBe(3);
    link.connected = true;
    link.drain(outbox);
    expect(link.sent).toEqual(['e:raised', 'r:1', 'r:2', 'r:3', 'r:4', 'r:5', 't:4', 't:5', 't:6']);
  });

  it('when the flash log is full, drops the oldest telemetry a sector at a time, counted, and keeps an old emergency', () => {
    const flash = area(4 * 4096); // four sectors of 99 readings
    const outbox = outboxOn(flash);
    const link = new SlotTransport(2);
    link.connected = false;
    outbox.addTelemetry(1, 1, reading(1), readingTime(1));
    outbox.add('emergency', topics.emergency, bytes('early'), true); // pins the first sector
    for (let seq = 2; seq <= 1000; seq++) outbox.addTelemetry(1, seq, reading(seq), readingTime(seq));
    expect(outbox.dropped).toBeGreaterThan(600);
    link.connected = true;
    link.drain(outbox);
    const seqs = link.sent.filter((l) => l.startsWith('t:')).map((l) => Number(l.slice(2)));
    expect(link.sent[0]).toBe('e:early');
    expect(seqs.at(-1)).toBe(1000);
    expect(seqs).toEqual(seqs.map((_, i) => 1000 - seqs.length + 1 + i)); // the newest kept, in order: the oldest went
    expect(seqs.length + outbox.dropped).toBe(1000);
  });

  it('keeps only the newest waiting value of a state topic, so a flapping link cannot pile them up; replies all stay', () => {
    const outbox = outboxOn(area(), 100, 2);
    const link = new SlotTransport(2);
    link.connected = false;
    for (let i = 1; i <= 50; i++) {
      outbox.add('state', topics.status, bytes('online'), true); // every reconnect says online again
      outbox.add('state', topics.info, bytes(`{"uptimeS":${i}}`), true);
    }
    outbox.add('reply', topics.reply, bytes('a'), false);
    outbox.add('reply', topics.reply, bytes('b'), false);
    const offline = outbox.add('state', topics.status, bytes('offline'), true);
    expect(outbox.size).toBe(4);
    link.connected = true;
    link.drain(outbox);
    expect(link.sent).toEqual(['s:offline', 'i:{"uptimeS":50}', 'r:a', 'r:b']);
    expect(offline.token).toBeGreaterThan(0); // the one waited for is the one sent
  });

  it('sends a live value only when it can go at once, and never keeps it', () => {
    const outbox = outboxOn(area(), 100, 1);
    const link = new SlotTransport(1);
    expect(outbox.sendLive(link, 's/altitude', bytes('1.0'), 1, false)).toBe(true);
    expect(outbox.sendLive(link, 's/altitude', bytes('2.0'), 1, false)).toBe(false); // its one slot is taken
    expect(outbox.sendLive(link, 's/altitude', bytes('2.5'), 0, false)).toBe(true); // QoS 0 needs no slot
    outbox.addTelemetry(1, 1, reading(1), readingTime(1));
    link.ackOldest(outbox); // the live value's ack frees the slot for the waiting telemetry
    expect(outbox.sendLive(link, 's/altitude', bytes('3.0'), 1, false)).toBe(false);
    link.connected = false;
    expect(outbox.sendLive(link, 's/altitude', bytes('4.0'), 0, false)).toBe(false);
    expect(link.sent).toEqual(['a:1.0', 'a:2.5', 't:1']);
    expect(outbox.size).toBe(1);
  });

  it('after a restart replays what was not acknowledged, in order, with the original payloads, and nothing acknowledged', () => {
    const flash = area();
    const first = outboxOn(flash);
    const link = new SlotTransport(2);
    for (let seq = 1; seq <= 5; seq++) first.addTelemetry(7, seq, reading(seq), readingTime(seq));
    first.add('reply', topics.reply, bytes('{"cmd":"ping"}'), false);
    first.pump(link); // the reply and t:1 go out
    link.ackOldest(first); // the reply is acknowledged; t:2 goes out; t:1 and t:2 stay in flight
    const payloads = new Map<number, string>();
    const second = outboxOn(flash); // power lost, back on
    expect(second.lastSeq).toBe(5);
    expect(second.lastBoot).toBe(7);
    expect(second.replayed).toBe(5);
    const again = new SlotTransport(2);
    const publish = again.publish.bind(again);
    again.publish = (topic, payload, qos) => {
      payloads.set(JSON.parse(new TextDecoder().decode(payload)).seq, new TextDecoder().decode(payload));
      return publish(topic, payload, qos);
    };
    again.drain(second);
    expect(again.sent).toEqual(['t:1', 't:2', 't:3', 't:4', 't:5']);
    expect(payloads.get(3)).toBe('{"boot":7,"seq":3,"ts":1790000003000,"alt":500.3,"vs":-1.25,"p":94997,"t":12.5,"q":"ok"}');
    expect(outboxOn(flash).replayed).toBe(0); // all acknowledged now: nothing comes back
  });

  it('replays a reading taken before the device knew the date as it was sent: "ts":null with the uptime, never a date', () => {
    const flash = area();
    const first = outboxOn(flash);
    first.addTelemetry(3, 1, reading(1), { epochMs: undefined, uptimeMs: 4_321 }); // before SNTP answered
    first.addTelemetry(3, 2, reading(2), readingTime(2)); // after
    const link = new SlotTransport(2);
    const texts: string[] = [];
    const publish = link.publish.bind(link);
    link.publish = (topic, payload, qos) => {
      texts.push(new TextDecoder().decode(payload));
      return publish(topic, payload, qos);
    };
    link.drain(outboxOn(flash)); // power lost before anything went out; back on
    expect(texts).toEqual([
      '{"boot":3,"seq":1,"ts":null,"upMs":4321,"alt":500.1,"vs":-1.25,"p":94999,"t":12.5,"q":"ok"}',
      '{"boot":3,"seq":2,"ts":1790000002000,"alt":500.2,"vs":-1.25,"p":94998,"t":12.5,"q":"ok"}',
    ]);
  });
});
