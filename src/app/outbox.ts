// The outbox: the node's one buffering policy. Everything the node publishes passes here, and this is
// the only place that decides what waits, in which order, what may be dropped and how many messages
// are in flight. The MQTT session under it keeps only protocol state (packet-id slots) and queues
// nothing.
//
// - What waits: every QoS 1 message until the broker has acknowledged it (PUBACK). Nothing is sent
//   while the link is down; the backlog goes out once it is back, each with its original seq and ts.
// - Durable first: telemetry, emergencies and replies to commands are written to the flash log
//   (flash-log.ts) before they are handed to MQTT, and marked done there at their PUBACK; after a
//   power loss the node replays what was not done, in order. Status, info and update progress are
//   state, not events: they wait in RAM, and each start publishes them afresh.
// - In which order: emergencies first, then replies and state in the order they were made, then
//   telemetry in seq order. So after an outage the news station hears of an active emergency before
//   hours of queued telemetry (only the few messages already in flight at the cut go before it: MQTT
//   resends those first [MQTT-4.4.0-1]).
// - What may be dropped: only telemetry, the oldest first, when more than `capacity` readings wait or
//   the flash log is full (or, after a flash failure, more than RAM_ONLY_READINGS wait in RAM); each
//   one is counted (`dropped`, reported in info). Emergencies, replies and state are never dropped.
// - How many in flight: at most `window` (OUTBOX_WINDOW) unacknowledged messages; the MQTT session is
//   built with exactly that many packet-id slots.
// - Live values (the plain altitude) never wait: they go out at once when the link is up and a slot
//   is free, or not at all; telemetry carries the same reading durably.
import { utf8Payload } from '../mqtt/client';
import type { Log } from '../ports';
import type { AltitudeReading } from '../sensor/altimeter';
import { FlashLog, RECORD_EMERGENCY, RECORD_REPLY, RECORD_TELEMETRY, type LogOwner } from './flash-log';
import { TELEMETRY_BODY_BYTES, TelemetryRecord } from './telemetry-record';
import { telemetryPayload, type Topics } from './topics';

export type OutboxKind = 'emergency' | 'reply' | 'state' | 'telemetry';

/** Unacknowledged messages at most with the MQTT client; the client's session has this many slots. */
export const OUTBOX_WINDOW = 8;

/**
 * Readings kept in RAM at most once the flash has failed (an estimated 60 KB on XS: a message object
 * and its JSON each, not measured). `capacity` counts readings on flash, 41 bytes each; kept in RAM, 21,600 of them would
 * take megabytes and crash the device, so in RAM the newest few minutes are kept and older ones dropped.
 */
export const RAM_ONLY_READINGS = 200;

export interface OutboxMessage {
  kind: OutboxKind;
  topic: string;
  payload: Uint8Array;
  retain: boolean;
  /** Where it is in the flash log; -1 when it is kept in RAM only. */
  location: number;
  /** The MQTT client's token while the message is with it; 0 while it waits. */
  token: number;
}

/** What the outbox needs from the MQTT client. */
export interface OutboxTransport {
  readonly connected: boolean;
  publish(topic: string, payload: Uint8Array, qos: 0 | 1, retain: boolean): number;
}

export interface OutboxOptions {
  /** Readings kept waiting at most (the flash log may hold fewer). */
  capacity: number;
  window?: number;
  log?: Log;
}

export class Outbox implements LogOwner {
  readonly window: number;
  #capacity: number;
  readonly #flash: FlashLog;
  readonly #topics: Topics;
  readonly #note: Log;
  /** Waiting emergencies, and waiting replies and state, oldest first. Telemetry waits in the log. */
  readonly #urgent: OutboxMessage[] = [];
  readonly #control: OutboxMessage[] = [];
  #telemetryWaiting = 0;
  /** Telemetry kept in RAM because the flash failed: after everything in the log. */
  readonly #fallback: OutboxMessage[] = [];
  /** With the client, awaiting their PUBACK. */
  readonly #inflight: OutboxMessage[] = [];
  /** Live QoS 1 values with the client: they hold a slot until acknowledged. */
  readonly #liveTokens: number[] = [];
  /** Telemetry messages back from the client, reused: a steady-state reading allocates only its payload. */
  readonly #spare: OutboxMessage[] = [];
  /** The flash log takes records (false after a flash error: RAM only until restart). */
  #durable = true;
  /** Telemetry dropped since start (capacity or a full log). */
  dropped = 0;
  /** Records found damaged when read back (never sent). */
  damaged = 0;
  /** The newest telemetry seq and boot in the log at start: the sequence continues after them. */
  readonly lastSeq: number = 0;
  readonly lastBoot: number = 0;
  /** Records recovered at start that were not done: replayed, in order. */
  readonly replayed: number = 0;
  /** The reading last appended to the log: replaying it needs no flash read (FlashLog.isLast). */
  #lastAppended = new TelemetryRecord();
  /** The reading being added (swapped with #lastAppended once it is on flash). */
  #incoming = new TelemetryRecord();
  readonly #scratch = new TelemetryRecord();
  readonly #body = new Uint8Array(TELEMETRY_BODY_BYTES);

  constructor(flash: FlashLog, topics: Topics, options: OutboxOptions) {
    this.#flash = flash;
    this.#topics = topics;
    this.#capacity = options.capacity;
    this.window = options.window ?? OUTBOX_WINDOW;
    this.#note = options.log ?? (() => {});
    let lastSeq = 0;
    let lastBoot = 0;
    let replayed = 0;
    const visit = (location: number, type: number, _id: number, done: boolean, bytes: Uint8Array, start: number, length: number) => {
      if (type === RECORD_TELEMETRY) {
        // Counted even if it cannot be decoded: the replay cursor finds it and skips it as damaged.
        if (!done) this.#telemetryWaiting++;
        const readable = length === TELEMETRY_BODY_BYTES && this.#scratch.decode(bytes, start);
        if (readable && (this.#scratch.boot > lastBoot || (this.#scratch.boot === lastBoot && this.#scratch.seq > lastSeq))) {
          lastBoot = this.#scratch.boot;
          lastSeq = this.#scratch.seq;
        }
      } else if (!done) {
        const emergency = type === RECORD_EMERGENCY;
        const message = this.#message(emergency ? 'emergency' : 'reply', bytes.slice(start, start + length), emergency, location);
        (emergency ? this.#urgent : this.#control).push(message);
      }
      if (!done) replayed++;
    };
    try {
      flash.recover(visit);
    } catch (error) {
      // An unreadable partition must not keep the node from flying: it runs without durability.
      this.#durable = false;
      this.#telemetryWaiting = 0;
      this.#note(`outbox: the flash log cannot be read (${(error as Error).message}): messages are kept in RAM only`);
    }
    this.lastSeq = lastSeq;
    this.lastBoot = lastBoot;
    this.replayed = replayed;
    this.#trim();
  }

  /** Messages not yet acknowledged: waiting and in flight. */
  get size(): number {
    return this.#urgent.length + this.#control.length + this.#telemetryWaiting + this.#fallback.length + this.#inflight.length;
  }
  get capacity(): number {
    return this.#capacity;
  }
  /** Whether messages are written to flash before they are sent (false after a flash error). */
  get durable(): boolean {
    return this.#durable;
  }

  resize(capacity: number): void {
    this.#capacity = capacity;
    this.#trim();
  }

  #message(kind: OutboxKind, payload: Uint8Array, retain: boolean, location: number): OutboxMessage {
    const topic = kind === 'emergency' ? this.#topics.emergency : kind === 'reply' ? this.#topics.reply : this.#topics.telemetry;
    return { kind, topic, payload, retain, location, token: 0 };
  }

  /** A reading: made durable, then it waits its turn. */
  addTelemetry(boot: number, seq: number, reading: AltitudeReading): void {
    const record = this.#incoming.fromReading(boot, seq, reading);
    record.encode(this.#body);
    const location = this.#append(RECORD_TELEMETRY, this.#body);
    if (location >= 0) {
      // Only a reading that made it to the log may stand for the log's last record: one kept in RAM
      // (a flash failure, a log full of what it keeps) must not overwrite the last one appended.
      this.#incoming = this.#lastAppended;
      this.#lastAppended = record;
      this.#telemetryWaiting++;
    } else this.#fallback.push(this.#message('telemetry', utf8Payload(telemetryPayload(record)), false, -1));
    this.#trim();
  }

  /**
   * Adds a message to wait its turn and returns it (its `token` is set once it is submitted).
   * Emergencies and replies are made durable first; state waits in RAM.
   */
  add(kind: 'emergency' | 'reply' | 'state', topic: string, payload: Uint8Array, retain: boolean): OutboxMessage {
    if (kind === 'state') {
      // State: only the newest value of a topic matters (status, info are retained), so a newer one
      // replaces one still waiting; a link that keeps dropping cannot pile them up.
      for (let i = 0; i < this.#control.length; i++) {
        const waiting = this.#control[i];
        if (waiting.kind === 'state' && waiting.topic === topic) {
          waiting.payload = payload;
          waiting.retain = retain;
          return waiting;
        }
      }
    }
    let location = -1;
    if (kind !== 'state') location = this.#append(kind === 'emergency' ? RECORD_EMERGENCY : RECORD_REPLY, payload);
    const message: OutboxMessage = { kind, topic, payload, retain, location, token: 0 };
    (kind === 'emergency' ? this.#urgent : this.#control).push(message);
    return message;
  }

  /** Writes a record to the log; -1 when it stays in RAM only (the log is full of what it keeps, or the flash failed). */
  #append(type: number, body: Uint8Array): number {
    if (!this.#durable) return -1;
    if (body.length > this.#flash.maxBodyBytes) {
      this.#note(`outbox: a ${body.length}-byte message is longer than a log record (${this.#flash.maxBodyBytes}): kept in RAM only`);
      return -1;
    }
    try {
      const location = this.#flash.append(type, body, body.length, this);
      if (location < 0) this.#note('outbox: the flash log is full of messages it must keep: this one is kept in RAM only');
      return location;
    } catch (error) {
      this.#durable = false;
      this.#note(`outbox: flash write failed (${(error as Error).message}): messages are kept in RAM only until a restart`);
      return -1;
    }
  }

  /**
   * Drops the oldest waiting telemetry while more than `capacity` readings wait, or more than
   * RAM_ONLY_READINGS wait in RAM (then the oldest of those: dropping from flash frees no RAM). Counted.
   */
  #trim(): void {
    while (this.#telemetryWaiting + this.#fallback.length > this.#capacity || this.#fallback.length > RAM_ONLY_READINGS) {
      if (this.#telemetryWaiting > 0 && this.#fallback.length <= RAM_ONLY_READINGS) {
        let location: number;
        try {
          location = this.#flash.nextPending(RECORD_TELEMETRY);
        } catch (error) {
          this.#note(`outbox: flash read failed (${(error as Error).message})`);
          return;
        }
        if (location < 0) {
          this.#telemetryWaiting = 0; // cannot happen: the count and the log agree
          continue;
        }
        this.#markDone(location);
        this.#telemetryWaiting--;
      } else {
        this.#fallback.shift();
      }
      this.dropped++;
    }
  }

  #inFlight(): number {
    return this.#inflight.length + this.#liveTokens.length;
  }

  /** Submits waiting messages, most urgent first, while the client is connected and the window has room. */
  pump(transport: OutboxTransport): void {
    while (transport.connected && this.#inFlight() < this.window) {
      const message = this.#urgent.shift() ?? this.#control.shift() ?? this.#nextTelemetry() ?? this.#fallback.shift();
      if (message === undefined) return;
      this.#inflight.push(message);
      message.token = transport.publish(message.topic, message.payload, 1, message.retain);
    }
  }

  /** The oldest waiting reading from the log, as a message; undefined when none waits. */
  #nextTelemetry(): OutboxMessage | undefined {
    while (this.#telemetryWaiting > 0) {
      let location: number;
      let bytes: Uint8Array | undefined;
      try {
        location = this.#flash.nextPending(RECORD_TELEMETRY);
      } catch (error) {
        this.#note(`outbox: flash read failed (${(error as Error).message})`);
        return undefined;
      }
      try {
        if (location >= 0 && !this.#flash.isLast(location)) bytes = this.#flash.read(location);
      } catch (error) {
        // A read error: the record stays pending, and the cursor goes back to it to try again later.
        this.#flash.rewind(location);
        this.#note(`outbox: flash read failed (${(error as Error).message})`);
        return undefined;
      }
      if (location < 0) {
        this.#telemetryWaiting = 0;
        return undefined;
      }
      this.#telemetryWaiting--;
      let record: TelemetryRecord | undefined = this.#lastAppended;
      if (!this.#flash.isLast(location)) {
        record = bytes !== undefined && bytes.length === TELEMETRY_BODY_BYTES + 12 && this.#scratch.decode(bytes, 8) ? this.#scratch : undefined;
      }
      if (record === undefined) {
        this.damaged++;
        this.#note(`outbox: a reading at flash offset ${location} is damaged (CRC): skipped`);
        this.#markDone(location);
        continue;
      }
      const message = this.#spare.pop() ?? this.#message('telemetry', EMPTY, false, -1);
      message.payload = utf8Payload(telemetryPayload(record));
      message.location = location;
      message.token = 0;
      return message;
    }
    return undefined;
  }

  /**
   * Sends a live value now if it can go at once: connected, and for QoS 1 a free slot with nothing
   * waiting ahead of it. Returns false when it was not sent (it is not kept).
   */
  sendLive(transport: OutboxTransport, topic: string, payload: Uint8Array, qos: 0 | 1, retain: boolean): boolean {
    if (!transport.connected) return false;
    if (qos === 1) {
      if (this.#inFlight() >= this.window || this.size > this.#inflight.length) return false;
      this.#liveTokens.push(transport.publish(topic, payload, 1, retain));
      return true;
    }
    transport.publish(topic, payload, 0, retain);
    return true;
  }

  /** The client reports a delivery done: forget that message. Returns it, or undefined when it was not ours. */
  delivered(token: number): OutboxMessage | undefined {
    for (let i = 0; i < this.#liveTokens.length; i++) {
      if (this.#liveTokens[i] === token) {
        this.#liveTokens.splice(i, 1);
        return undefined;
      }
    }
    for (let i = 0; i < this.#inflight.length; i++) {
      const message = this.#inflight[i];
      if (message.token === token) {
        this.#inflight.splice(i, 1);
        if (message.location >= 0) this.#markDone(message.location);
        if (message.kind === 'telemetry' && message.location >= 0 && this.#spare.length < this.window) {
          message.payload = EMPTY;
          this.#spare.push(message);
        }
        return message;
      }
    }
    return undefined;
  }

  #markDone(location: number): void {
    try {
      this.#flash.markDone(location);
    } catch (error) {
      this.#note(`outbox: could not mark a record done on flash (${(error as Error).message}): it may be sent again after a restart`);
    }
  }

  // ---- what the flash log asks when it must make room ------------------------------------------

  /** Emergencies and replies are never dropped; telemetry stays while it is in flight. */
  keeps(location: number, type: number): boolean {
    if (type !== RECORD_TELEMETRY) return true;
    for (let i = 0; i < this.#inflight.length; i++) if (this.#inflight[i].location === location) return true;
    return false;
  }

  dropping(_location: number, type: number): void {
    if (type !== RECORD_TELEMETRY) return;
    if (this.#telemetryWaiting > 0) this.#telemetryWaiting--;
    this.dropped++;
  }
}

const EMPTY = new Uint8Array(0);
