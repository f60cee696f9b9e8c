// The outbox: the node's one buffering policy. Everything the node publishes passes here, and this is
// the only place that decides what waits, in which order, what may be dropped and how many messages
// are in flight. The MQTT session under it keeps only protocol state (packet-id slots) and queues
// nothing.
//
// - What waits: every QoS 1 message until the broker has acknowledged it (PUBACK). Nothing is sent
//   while the link is down; the backlog goes out once it is back, each with its original seq and ts.
// - In which order: emergencies first, then replies to commands and state (status, info, update
//   progress) in the order they were made, then telemetry in seq order. So after an outage the news
//   station hears of an active emergency before ten minutes of queued telemetry go out.
// - What may be dropped: only telemetry, the oldest first, when more than `capacity` readings wait;
//   each one is counted (`dropped`, reported in info). Emergencies, replies and state are never
//   dropped.
// - How many in flight: at most `window` (OUTBOX_WINDOW) unacknowledged messages; the MQTT session is
//   built with exactly that many packet-id slots.
// - Live values (the plain altitude) never wait: they go out at once when the link is up and a slot
//   is free, or not at all; telemetry carries the same reading durably.

export type OutboxKind = 'emergency' | 'reply' | 'state' | 'telemetry';

/** Unacknowledged messages at most with the MQTT client; the client's session has this many slots. */
export const OUTBOX_WINDOW = 8;

export interface OutboxMessage {
  kind: OutboxKind;
  topic: string;
  payload: Uint8Array;
  retain: boolean;
  /** The MQTT client's token while the message is with it; 0 while it waits. */
  token: number;
}

/** What the outbox needs from the MQTT client. */
export interface OutboxTransport {
  readonly connected: boolean;
  publish(topic: string, payload: Uint8Array, qos: 0 | 1, retain: boolean): number;
}

/** Waiting order: a lower rank goes first. */
const RANK: Record<OutboxKind, number> = { emergency: 0, reply: 1, state: 1, telemetry: 2 };

export class Outbox {
  #capacity: number;
  readonly window: number;
  /** Waiting messages, one FIFO per rank. */
  readonly #waiting: OutboxMessage[][] = [[], [], []];
  /** With the client, awaiting their PUBACK. */
  readonly #submitted: OutboxMessage[] = [];
  /** Live QoS 1 values with the client: they hold a slot until acknowledged. */
  readonly #liveTokens: number[] = [];
  /** Telemetry dropped because more than `capacity` readings waited, since start. */
  dropped = 0;

  constructor(capacity: number, window = OUTBOX_WINDOW) {
    this.#capacity = capacity;
    this.window = window;
  }

  /** Messages not yet acknowledged: waiting and in flight. */
  get size(): number {
    return this.#waiting[0].length + this.#waiting[1].length + this.#waiting[2].length + this.#submitted.length;
  }
  get capacity(): number {
    return this.#capacity;
  }

  resize(capacity: number): void {
    this.#capacity = capacity;
    this.#trim();
  }

  /** Adds a QoS 1 message to wait its turn; returns it (its `token` is set once it is submitted). */
  add(kind: OutboxKind, topic: string, payload: Uint8Array, retain: boolean): OutboxMessage {
    const message: OutboxMessage = { kind, topic, payload, retain, token: 0 };
    this.#waiting[RANK[kind]].push(message);
    if (kind === 'telemetry') this.#trim();
    return message;
  }

  /** Drops the oldest waiting telemetry while more than `capacity` readings wait (counted). */
  #trim(): void {
    const telemetry = this.#waiting[2];
    const excess = telemetry.length - this.#capacity;
    if (excess <= 0) return;
    telemetry.splice(0, excess);
    this.dropped += excess;
  }

  #inFlight(): number {
    return this.#submitted.length + this.#liveTokens.length;
  }

  /** Submits waiting messages, most urgent first, while the client is connected and the window has room. */
  pump(transport: OutboxTransport): void {
    for (let rank = 0; rank < this.#waiting.length; rank++) {
      const queue = this.#waiting[rank];
      while (queue.length > 0) {
        if (!transport.connected || this.#inFlight() >= this.window) return;
        const message = queue.shift()!;
        this.#submitted.push(message);
        message.token = transport.publish(message.topic, message.payload, 1, message.retain);
      }
    }
  }

  /**
   * Sends a live value now if it can go at once: connected, and for QoS 1 a free slot with nothing
   * waiting ahead of it. Returns false when it was not sent (it is not kept).
   */
  sendLive(transport: OutboxTransport, topic: string, payload: Uint8Array, qos: 0 | 1, retain: boolean): boolean {
    if (!transport.connected) return false;
    if (qos === 1) {
      if (this.#inFlight() >= this.window || this.size > this.#submitted.length) return false;
      this.#liveTokens.push(transport.publish(topic, payload, 1, retain));
      return true;
    }
    transport.publish(topic, payload, 0, retain);
    return true;
  }

  /** The client reports a delivery done: forget that message. Returns it, or undefined when it was not ours. */
  delivered(token: number): OutboxMessage | undefined {
    const live = this.#liveTokens.indexOf(token);
    if (live >= 0) {
      this.#liveTokens.splice(live, 1);
      return undefined;
    }
    for (let i = 0; i < this.#submitted.length; i++) {
      const message = this.#submitted[i];
      if (message.token === token) {
        this.#submitted.splice(i, 1);
        return message;
      }
    }
    return undefined;
  }

  /** For persisting across a deliberate reboot: the messages in flight and waiting, oldest first within each rank. */
  snapshot(): { kind: OutboxKind; topic: string; payload: string; retain: boolean }[] {
    const all = [...this.#submitted, ...this.#waiting[0], ...this.#waiting[1], ...this.#waiting[2]];
    return all.map((m) => ({ kind: m.kind, topic: m.topic, payload: latin1(m.payload), retain: m.retain }));
  }

  restore(saved: ReturnType<Outbox['snapshot']>): void {
    for (const m of saved) this.add(m.kind, m.topic, bytesOfLatin1(m.payload), m.retain);
  }
}

function latin1(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
  return text;
}

function bytesOfLatin1(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
