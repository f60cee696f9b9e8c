// The outbox: telemetry and emergencies wait here until the broker has acknowledged them. It hands
// them to the MQTT client in order, at most a window at a time, and forgets one only when its
// PUBACK arrives, so a broker or Wi-Fi outage loses nothing: the messages keep their original seq and
// ts and go out, in order, once the link is back. When full, the oldest telemetry is dropped (and
// counted); emergencies are never dropped, even past the capacity.

export type OutboxKind = 'telemetry' | 'emergency';

export interface OutboxMessage {
  kind: OutboxKind;
  topic: string;
  payload: Uint8Array;
  qos: 0 | 1;
  retain: boolean;
  /** The MQTT client's token while the message is submitted; 0 while it waits. */
  token: number;
}

/** What the outbox needs from the MQTT client. */
export interface OutboxTransport {
  readonly connected: boolean;
  publish(topic: string, payload: Uint8Array, qos: 0 | 1, retain: boolean): number;
}

export class Outbox {
  #capacity: number;
  readonly #window: number;
  /** In order: the first `#submitted` are with the client, the rest wait. */
  #messages: OutboxMessage[] = [];
  #submitted = 0;
  /** Telemetry dropped because the outbox was full, since start. */
  dropped = 0;

  constructor(capacity: number, window = 8) {
    this.#capacity = capacity;
    this.#window = window;
  }

  get size(): number {
    return this.#messages.length;
  }
  get capacity(): number {
    return this.#capacity;
  }

  resize(capacity: number): void {
    this.#capacity = capacity;
    this.#trim();
  }

  add(kind: OutboxKind, topic: string, payload: Uint8Array, qos: 0 | 1, retain: boolean): void {
    this.#messages.push({ kind, topic, payload, qos, retain, token: 0 });
    this.#trim();
  }

  /** Drops the oldest waiting telemetry until the outbox fits (submitted messages stay: they are on the wire). */
  #trim(): void {
    let index = this.#submitted;
    while (this.#messages.length > this.#capacity && index < this.#messages.length) {
      if (this.#messages[index].kind === 'telemetry') {
        this.#messages.splice(index, 1);
        this.dropped++;
      } else {
        index++;
      }
    }
  }

  /** Submits waiting messages while the client is connected and the window has room. */
  pump(transport: OutboxTransport): void {
    while (transport.connected && this.#submitted < this.#window && this.#submitted < this.#messages.length) {
      const message = this.#messages[this.#submitted];
      this.#submitted++;
      message.token = transport.publish(message.topic, message.payload, message.qos, message.retain);
    }
  }

  /** The client reports a delivery done: forget that message. Returns true when it was ours. */
  delivered(token: number): boolean {
    for (let i = 0; i < this.#submitted; i++) {
      if (this.#messages[i].token === token) {
        this.#messages.splice(i, 1);
        this.#submitted--;
        return true;
      }
    }
    return false;
  }

  /**
   * The client will not deliver what it holds (a new clean session, or a restart): everything
   * submitted goes back to waiting, in order, to be sent again.
   */
  requeue(): void {
    for (let i = 0; i < this.#submitted; i++) this.#messages[i].token = 0;
    this.#submitted = 0;
  }

  /** For persisting across a reboot: the messages in order, as plain data. */
  snapshot(): { kind: OutboxKind; topic: string; payload: string; qos: 0 | 1; retain: boolean }[] {
    return this.#messages.map((m) => ({ kind: m.kind, topic: m.topic, payload: latin1(m.payload), qos: m.qos, retain: m.retain }));
  }

  restore(saved: ReturnType<Outbox['snapshot']>): void {
    for (const m of saved) this.add(m.kind, m.topic, bytesOfLatin1(m.payload), m.qos, m.retain);
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
