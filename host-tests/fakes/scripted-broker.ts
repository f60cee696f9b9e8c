// A broker behind the socket port, small enough to run on XS: it decodes what the client writes,
// answers CONNECT, SUBSCRIBE and QoS 1 PUBLISH, records every PUBLISH, and can be taken offline.
// Answers are delivered on the next clock tick, as a real network would, never inside write().
import { encode, PacketDecoder, type Packet } from '../../src/mqtt/codec';
import type { Clock, StreamSocket, StreamSocketFactory, StreamSocketOptions } from '../../src/ports';

export interface Published {
  topic: string;
  payload: string;
  retain: boolean;
}

export class ScriptedBroker {
  readonly published: Published[] = [];
  /** Keep every PUBLISH in `published` (true), or only tell `onPublish` (a long run with a flat heap). */
  record = true;
  /** Every PUBLISH received, DUP resends included. */
  onPublish: ((topic: string, payload: string, dup: boolean) => void) | undefined;
  online = true;
  /** What the socket says it can take at each onWritable. */
  writableBytes = 1 << 20;
  /** The link stops draining: no onWritable after the next write (a stalled Wi-Fi link). */
  stalled = false;
  readonly #clock: Clock;
  #open: { options: StreamSocketOptions; inbox: Uint8Array[]; closed: boolean }[] = [];

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Drops every connection and refuses new ones until back online. */
  goOffline(): void {
    this.online = false;
    for (const connection of this.#open) this.#drop(connection, 'broker went away');
  }

  readonly factory: StreamSocketFactory = (options) => {
    const connection = { options, inbox: [] as Uint8Array[], closed: false };
    const decoder = new PacketDecoder();
    const later = (action: () => void) => this.#clock.setTimer(action, 0);
    if (!this.online) {
      later(() => options.onError('connection refused'));
      return { read: () => undefined, write: () => {}, close: () => {} };
    }
    this.#open.push(connection);
    later(() => !connection.closed && options.onWritable(this.writableBytes));
    const reply = (packet: Packet) =>
      later(() => {
        if (connection.closed) return;
        connection.inbox.push(encode(packet));
        options.onReadable(1);
      });
    const socket: StreamSocket = {
      read: () => connection.inbox.shift(),
      write: (bytes, length) => {
        decoder.push(bytes.slice(0, length), (packet) => {
          if (packet.type === 'connect') reply({ type: 'connack', sessionPresent: !packet.cleanSession, returnCode: 0 });
          else if (packet.type === 'subscribe') reply({ type: 'suback', packetId: packet.packetId, granted: packet.subscriptions.map((s) => s.qos) });
          else if (packet.type === 'publish') {
            let text = '';
            for (let i = 0; i < packet.payload.length; i++) text += String.fromCharCode(packet.payload[i]);
            this.onPublish?.(packet.topic, text, packet.dup);
            if (this.record && (!packet.dup || !this.published.some((p) => p.payload === text))) this.published.push({ topic: packet.topic, payload: text, retain: packet.retain });
            if (packet.qos === 1) reply({ type: 'puback', packetId: packet.packetId! });
          } else if (packet.type === 'pingreq') reply({ type: 'pingresp' });
        });
        if (!this.stalled) later(() => !connection.closed && options.onWritable(this.writableBytes));
      },
      close: () => {
        connection.closed = true;
        this.#open = this.#open.filter((c) => c !== connection);
      },
    };
    return socket;
  };

  #drop(connection: { options: StreamSocketOptions; closed: boolean }, reason: string): void {
    this.#open = this.#open.filter((c) => c !== connection);
    if (connection.closed) return;
    connection.closed = true;
    connection.options.onError(reason);
  }
}
