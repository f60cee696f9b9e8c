// The MQTT client: drives the sans-I/O session over a socket port and a clock port.
//
//   const client = new MqttClient({ host, port, clientId }, { socket, clock });
//   client.on('message', (m) => …); client.connect();
//   if (client.canPublish(1)) token = client.publish('sensor1/telemetry', '{…}', 1); // 'published' fires with token
//   client.subscribe('sensor1/cmd/+', 1); client.end();
//
// It holds no queue (see session.ts): a publish with the window full is refused, so the caller keeps
// what waits (the node's outbox) and publishes more on 'published'.
//
// Events: connect, disconnect, message, published, subscribed, unsubscribed, error, sessionTakenOver,
// close.
import type { Clock, StreamSocket, StreamSocketFactory, TimerHandle, TlsOptions } from '../ports';
import type { QoS, Subscription } from './packets';
import { MqttSession, type IncomingMessage, type SessionOptions, type SessionOutput } from './session';
import { encodeUtf8 } from './utf8';

export interface MqttClientOptions extends SessionOptions {
  host: string;
  port: number;
  tls?: TlsOptions;
}

export interface MqttClientEvents {
  connect: (info: { sessionPresent: boolean }) => void;
  disconnect: (error: Error | undefined) => void;
  message: (message: IncomingMessage) => void;
  published: (token: number) => void;
  subscribed: (token: number, granted: number[]) => void;
  unsubscribed: (token: number) => void;
  error: (error: Error) => void;
  /**
   * The broker closed our connection `closures` times in a row soon after accepting it, and accepted
   * us again at once each time: another client with our id is probably taking the session.
   */
  sessionTakenOver: (closures: number) => void;
  /** end() finished: the connection is closed and no reconnect will follow. */
  close: () => void;
}

type Listeners = { [K in keyof MqttClientEvents]: MqttClientEvents[K][] };

export interface ClientPorts {
  socket: StreamSocketFactory;
  clock: Clock;
}

/** Encodes a string payload as UTF-8 (a new buffer: the payload is the one allocation of a publish). */
export const utf8Payload = encodeUtf8;

export class MqttClient {
  readonly session: MqttSession;
  readonly #options: MqttClientOptions;
  readonly #ports: ClientPorts;
  readonly #clock: Clock;
  readonly #listeners: Listeners = {
    connect: [], disconnect: [], message: [], published: [], subscribed: [], unsubscribed: [], error: [], sessionTakenOver: [], close: [],
  };
  #socket: StreamSocket | undefined;
  /** Bytes the socket accepts now (its last onWritable count, less what we wrote since). */
  #writable = 0;
  /** Bytes waiting for the socket to accept them (backpressure), in order. */
  #pending: Uint8Array[] = [];
  /** One scratch copy of completed tokens per nesting level of #apply (a listener may publish). */
  readonly #completedScratch: Float64Array[] = [];
  #depth = 0;
  #timer: TimerHandle | undefined;
  #timerAt = Infinity;
  readonly #onTimer = () => {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    this.#apply(this.session.tick(this.#clock.now()));
  };

  constructor(options: MqttClientOptions, ports: ClientPorts) {
    this.#options = options;
    this.#ports = ports;
    this.#clock = ports.clock;
    this.session = new MqttSession(options);
  }

  on<K extends keyof MqttClientEvents>(event: K, listener: MqttClientEvents[K]): this {
    this.#listeners[event].push(listener);
    return this;
  }

  get connected(): boolean {
    return this.session.connected;
  }

  connect(): void {
    this.#apply(this.session.start(this.#clock.now()));
  }

  /** Reconnects at once instead of waiting out the backoff (call it when the network comes back). */
  reconnectNow(): void {
    this.#apply(this.session.retryNow(this.#clock.now()));
  }

  /** Whether publish() at this QoS would be accepted now (QoS 0: connected; QoS 1/2: a free in-flight slot). */
  canPublish(qos: QoS): boolean {
    return this.session.canPublish(qos);
  }

  /**
   * Publishes; returns a token that the 'published' event reports when delivery is done. Throws
   * WINDOW_FULL (QoS 1/2, every slot taken) or NOT_CONNECTED (QoS 0 offline): see canPublish.
   */
  publish(topic: string, payload: Uint8Array | string, qos: QoS = 0, retain = false): number {
    const session = this.session;
    const token = session.publish(topic, typeof payload === 'string' ? utf8Payload(payload) : payload, qos, retain, this.#clock.now());
    // A publish yields only bytes, at most one completion (QoS 0, once written) and perhaps an
    // earlier wake-up (the response clock): the hot path handles just that.
    const out = session.out;
    const wakeAtMs = out.wakeAtMs;
    const done = out.completedCount === 1; // (read before the socket or a listener can call back in)
    const length = out.txLength;
    if (length > 0) {
      // #send(), its common case inline: nothing waits and the socket has room.
      const socket = this.#socket;
      if (socket !== undefined && this.#pending.length === 0 && length <= this.#writable) {
        socket.write(out.tx, length);
        this.#writable -= length;
      } else this.#send(out.tx, length);
    }
    if (done) {
      const published = this.#listeners.published;
      for (let l = 0; l < published.length; l++) published[l](token);
    }
    if (wakeAtMs < this.#timerAt) this.#arm(wakeAtMs);
    return token;
  }

  subscribe(filter: string | Subscription[], qos: QoS = 0): number {
    const subscriptions = typeof filter === 'string' ? [{ filter, qos }] : filter;
    const token = this.session.subscribe(subscriptions, this.#clock.now());
    this.#apply(this.session.out);
    return token;
  }

  unsubscribe(filters: string | string[]): number {
    const token = this.session.unsubscribe(typeof filters === 'string' ? [filters] : filters, this.#clock.now());
    this.#apply(this.session.out);
    return token;
  }

  /** Sends DISCONNECT (the broker then drops the will), closes, and stops reconnecting. */
  end(): void {
    this.#apply(this.session.end(this.#clock.now()));
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
    this.#emit('close');
  }

  // ---- driving the session ------------------------------------------------------------------

  #apply(out: SessionOutput): void {
    if (out.txLength > 0) this.#send(out.tx, out.txLength);
    // The common case, a publish or an ack: at most one completion, no event, no transport change.
    if (out.completedCount <= 1 && out.events.length === 0 && !out.closeTransport && !out.openTransport) {
      const wakeAtMs = out.wakeAtMs; // read before a listener can call back into the session
      if (out.completedCount === 1) {
        const token = out.completed[0];
        const published = this.#listeners.published;
        for (let l = 0; l < published.length; l++) published[l](token);
      }
      if (wakeAtMs < this.#timerAt) this.#arm(wakeAtMs);
      return;
    }
    const closeTransport = out.closeTransport;
    const openTransport = out.openTransport;
    const wakeAtMs = out.wakeAtMs;
    // Events may call back into the client (publish from a message handler): copy what we need first.
    const events = out.events;
    const completedCount = out.completedCount;
    const completed = this.#completedScratch[this.#depth] ?? (this.#completedScratch[this.#depth] = new Float64Array(out.completed.length));
    for (let i = 0; i < completedCount; i++) completed[i] = out.completed[i];
    this.#depth++;
    try {
      const published = this.#listeners.published;
      for (let i = 0; i < completedCount; i++) for (let l = 0; l < published.length; l++) published[l](completed[i]);
      this.#dispatch(events);
    } finally {
      this.#depth--;
    }
    if (closeTransport) this.#closeSocket();
    if (openTransport) this.#openSocket();
    this.#arm(wakeAtMs);
  }

  #dispatch(events: SessionOutput['events']): void {
    for (let i = 0; i < events.length; i++) {
      const event = events[i];
      switch (event.type) {
        case 'connected': this.#emit('connect', { sessionPresent: event.sessionPresent }); break;
        case 'disconnected': this.#emit('disconnect', event.error); break;
        case 'message': this.#emit('message', event.message); break;
        case 'subscribed': this.#emit('subscribed', event.token, event.granted); break;
        case 'unsubscribed': this.#emit('unsubscribed', event.token); break;
        case 'error': this.#emit('error', event.error); break;
        case 'takenOver': this.#emit('sessionTakenOver', event.closures); break;
      }
    }
  }

  #emit<K extends keyof MqttClientEvents>(event: K, ...args: Parameters<MqttClientEvents[K]>): void {
    const listeners = this.#listeners[event] as ((...a: Parameters<MqttClientEvents[K]>) => void)[];
    for (let i = 0; i < listeners.length; i++) listeners[i](...args);
  }

  /** Timers are re-armed only when the session needs waking earlier: a publish never re-arms one. */
  #arm(wakeAtMs: number): void {
    if (wakeAtMs >= this.#timerAt) return;
    const clock = this.#clock;
    if (this.#timer !== undefined) clock.clearTimer(this.#timer);
    this.#timer = undefined;
    this.#timerAt = wakeAtMs;
    if (wakeAtMs === Infinity) return;
    this.#timer = clock.setTimer(this.#onTimer, Math.max(0, wakeAtMs - clock.now()));
  }

  #openSocket(): void {
    const session = this.session;
    const clock = this.#clock;
    let opened = false;
    const socket: StreamSocket = this.#ports.socket({
      host: this.#options.host,
      port: this.#options.port,
      tls: this.#options.tls,
      onWritable: (count) => {
        if (this.#socket !== socket) return;
        this.#writable = count;
        this.#flushPending();
        if (!opened) {
          opened = true;
          this.#apply(session.transportOpened(clock.now()));
        }
      },
      onReadable: () => {
        for (let bytes = socket.read(); bytes !== undefined && this.#socket === socket; bytes = socket.read()) {
          const out = session.receive(bytes, clock.now());
          // A PUBACK, a publisher's usual chunk: one completion and nothing else (#apply's common case).
          if (out.completedCount === 1 && out.txLength === 0 && out.events.length === 0 && !out.closeTransport && !out.openTransport && out.wakeAtMs >= this.#timerAt) {
            const token = out.completed[0];
            const published = this.#listeners.published;
            for (let l = 0; l < published.length; l++) published[l](token);
          } else this.#apply(out);
        }
      },
      onError: (message) => {
        if (this.#socket !== socket) return;
        this.#socket = undefined;
        this.#pending = [];
        this.#apply(session.transportClosed(clock.now(), new Error(`connection to ${this.#options.host}:${this.#options.port} lost: ${message}`)));
      },
    });
    this.#socket = socket;
    this.#writable = 0;
    this.#pending = [];
  }

  #closeSocket(): void {
    const socket = this.#socket;
    this.#socket = undefined;
    this.#pending = [];
    socket?.close();
  }

  #send(bytes: Uint8Array, length: number): void {
    const socket = this.#socket;
    if (!socket) return; // the session only writes while a transport is open; a race with close drops it
    if (this.#pending.length === 0 && length <= this.#writable) {
      socket.write(bytes, length);
      this.#writable -= length;
      return;
    }
    // Backpressure: keep a copy (the session reuses its buffer) and send when the socket drains.
    this.#pending.push(bytes.slice(0, length));
    this.#flushPending();
  }

  #flushPending(): void {
    const socket = this.#socket;
    while (socket && this.#pending.length > 0 && this.#writable > 0) {
      const head = this.#pending[0];
      const count = Math.min(head.length, this.#writable);
      socket.write(head, count);
      this.#writable -= count;
      if (count === head.length) this.#pending.shift();
      else this.#pending[0] = head.subarray(count);
    }
  }
}
