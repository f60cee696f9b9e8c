// The node's one buffering policy (src/app/outbox.ts) over its flash log on the emulated SDK flash
// module, against a transport that behaves like our MQTT client: a publish takes one of `window`
// slots until its PUBACK, and is refused when none is free.
import { describe, expect, it } from 'vitest';
import { Outbox, RAM_ONLY_READINGS, type OutboxTransport } from '../../src/app/outbox';
import { FlashLog } from '../../src/app/flash-log';
import { topicsFor } from '../../src/app/topics';
import type { FlashArea } from '../../src/ports';
import { NorFlashChip } from '../fakes/sdk-flash';
import { reading } from '../fakes/readings';

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
    for (let seq = 1; seq <= 3; seq++) outbox.addTelemetry(1, seq, reading(seq));
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
    for (let seq = 1; seq <= 10; seq++) outbox.addTelemetry(1, seq, reading(seq));
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
    for (let seq = 1; seq <= 6; seq++) outbox.addTelemetry(1, seq, reading(seq));
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
    outbox.addTelemetry(1, 1, reading(1));
    outbox.add('emergency', topics.emergency, bytes('early'), true); // pins the first sector
    for (let seq = 2; seq <= 1000; seq++) outbox.addTelemetry(1, seq, reading(seq));
    expect(outbox.dropped).toBeGreaterThan(600);
    link.connected = true;
    link.drain(outbox);
    const seqs = link.sent.filter((l) => l.startsWith('t:')).map((l) => Number(l.slice(2)));
    expect(link.sent[0]).toBe('e:early');
    expect(seqs.at(-1)).toBe(1000);
    expect(seqs).toEqual(seqs.map((_, i) => 1000 - seqs.length + 1 + i)); // the newest kept, in order: the oldest went
    expect(seqs.length + outbox.dropped).toBe(1000);
  });

  it('never reclaims a sector holding telemetry in flight: its acknowledgement lands on that record, not on a newer one', () => {
    // The log wraps while the two oldest readings wait for their PUBACK. Were their sector reclaimed
    // and reused, the acknowledgement (one byte cleared at their old offset) would mark a newer
    // reading done: lost without a count.
    const flash = area(4 * 4096); // four sectors of 99 readings
    const outbox = outboxOn(flash);
    const link = new SlotTransport(2);
    link.connected = false;
    for (let seq = 1; seq <= 396; seq++) outbox.addTelemetry(1, seq, reading(seq)); // the log is full
    link.connected = true;
    outbox.pump(link); // t:1 and t:2 go out and stay unacknowledged
    expect(link.sent).toEqual(['t:1', 't:2']);
    link.connected = false;
    for (let seq = 397; seq <= 1000; seq++) outbox.addTelemetry(1, seq, reading(seq)); // wraps the log again and again
    link.connected = true;
    link.drain(outbox); // the two in flight are acknowledged, then the rest goes
    const seqs = link.sent.filter((l) => l.startsWith('t:')).map((l) => Number(l.slice(2)));
    expect(seqs.slice(0, 2)).toEqual([1, 2]);
    const rest = seqs.slice(2);
    expect(rest.at(-1)).toBe(1000);
    expect(rest).toEqual(rest.map((_, i) => 1000 - rest.length + 1 + i)); // the newest, without a hole
    expect(seqs.length + outbox.dropped).toBe(1000); // every reading sent once or counted as dropped
    expect(outbox.size).toBe(0);
    expect(outboxOn(flash).replayed).toBe(0); // and nothing comes back after a restart
  });

  it('replays emergencies and replies not acknowledged at a power loss, first, with their payloads', () => {
    const flash = area();
    const first = outboxOn(flash);
    const link = new SlotTransport(2);
    link.connected = false;
    first.addTelemetry(3, 1, reading(1));
    first.add('reply', topics.reply, bytes('{"cmd":"ping","id":1,"ok":true}'), false);
    first.add('emergency', topics.emergency, bytes('{"kind":"crash","active":true}'), true);
    first.add('state', topics.status, bytes('online'), true); // state is not kept: each start publishes it afresh
    first.addTelemetry(3, 2, reading(2));
    const second = outboxOn(flash); // the power went before the link came back
    expect(second.replayed).toBe(4);
    link.connected = true;
    link.drain(second);
    expect(link.sent).toEqual(['e:{"kind":"crash","active":true}', 'r:{"cmd":"ping","id":1,"ok":true}', 't:1', 't:2']);
    expect(outboxOn(flash).replayed).toBe(0);
  });

  it('when the flash fails, says so, keeps going in RAM with a bounded backlog (the oldest dropped, counted), and sends what the log holds', () => {
    const chip = new NorFlashChip({ outbox: 64 * 1024 });
    const inner = chip.open('outbox');
    let writesLeft = 51; // a header and 50 readings, then every write fails (a worn-out chip)
    const failing: FlashArea = {
      byteLength: inner.byteLength,
      blockSize: inner.blockSize,
      erase: (sector) => inner.erase(sector),
      read: (offset, length) => inner.read(offset, length),
      write: (offset, length, buffer) => {
        if (writesLeft-- <= 0) throw new Error('write failed');
        inner.write(offset, length, buffer);
      },
    };
    const notes: string[] = [];
    const outbox = new Outbox(new FlashLog(failing), topics, { capacity: 21_600, window: 2, log: (line) => notes.push(line) });
    const link = new SlotTransport(2);
    link.connected = false;
    const total = 50 + RAM_ONLY_READINGS + 300; // an outage long enough to overflow the RAM backlog
    for (let seq = 1; seq <= total; seq++) outbox.addTelemetry(1, seq, reading(seq));
    expect(outbox.durable).toBe(false);
    expect(notes[0]).toBe('outbox: flash write failed (write failed): messages are kept in RAM only until a restart');
    expect(outbox.size).toBe(50 + RAM_ONLY_READINGS); // not 21,600 messages in RAM
    expect(outbox.dropped).toBe(300);
    link.connected = true;
    link.drain(outbox);
    const seqs = link.sent.map((l) => Number(l.slice(2)));
    const onFlash = Array.from({ length: 50 }, (_, i) => 1 + i);
    const inRam = Array.from({ length: RAM_ONLY_READINGS }, (_, i) => total - RAM_ONLY_READINGS + 1 + i);
    expect(seqs).toEqual([...onFlash, ...inRam]); // the log first, then the newest of those kept in RAM
    expect(outbox.size).toBe(0);
  });

  it('when the log is full of what it must keep, keeps readings in RAM after it, and the last one on flash stays itself', () => {
    const flash = area(2 * 4096); // two sectors: the first pinned by an emergency, the second the newest
    const outbox = outboxOn(flash);
    const link = new SlotTransport(2);
    link.connected = false;
    outbox.add('emergency', topics.emergency, bytes('early'), true);
    // When the second sector is full there is nowhere to go: the readings of the pinned sector are
    // dropped (the oldest go first), the log takes no more, and the newer readings wait in RAM.
    for (let seq = 1; seq <= 250; seq++) outbox.addTelemetry(1, seq, reading(seq));
    expect(outbox.dropped).toBe(99);
    expect(outbox.size).toBe(1 + 250 - 99);
    link.connected = true;
    link.drain(outbox);
    expect(link.sent[0]).toBe('e:early');
    expect(link.sent.slice(1)).toEqual(Array.from({ length: 151 }, (_, i) => `t:${100 + i}`)); // each once, in order
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
    outbox.addTelemetry(1, 1, reading(1));
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
    for (let seq = 1; seq <= 5; seq++) first.addTelemetry(7, seq, reading(seq));
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
});
