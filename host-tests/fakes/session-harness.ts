// Drives an MqttSession on a virtual clock and records what it does as readable lines, e.g.
// "PUBLISH q1 id=1 dup=0 t=a/b p=hello" or "event connected sp=0". Imports only core modules, so the
// same scenarios run on Node and on the XS engine and their transcripts can be compared.
import { encode } from '../../src/mqtt/encode';
import type { Packet } from '../../src/mqtt/packets';
import { MqttSession, type SessionOptions, type SessionOutput } from '../../src/mqtt/session';
import { PacketDecoder } from '../../src/mqtt/decode';

export function text(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

export function bytesOf(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export function describePacket(p: Packet): string {
  switch (p.type) {
    case 'connect':
      return `CONNECT id=${p.clientId} clean=${p.cleanSession ? 1 : 0} ka=${p.keepaliveS}` +
        (p.username !== undefined ? ` user=${p.username}` : '') +
        (p.password !== undefined ? ` pass=${text(p.password)}` : '') +
        (p.will ? ` will=${p.will.topic}:${text(p.will.payload)}:q${p.will.qos}:r${p.will.retain ? 1 : 0}` : '');
    case 'connack':
      return `CONNACK sp=${p.sessionPresent ? 1 : 0} rc=${p.returnCode}`;
    case 'publish':
      return `PUBLISH q${p.qos}${p.packetId !== undefined ? ` id=${p.packetId}` : ''} dup=${p.dup ? 1 : 0}${p.retain ? ' retain' : ''} t=${p.topic} p=${text(p.payload)}`;
    case 'subscribe':
      return `SUBSCRIBE id=${p.packetId} ${p.subscriptions.map((s) => `${s.filter}:q${s.qos}`).join(',')}`;
    case 'unsubscribe':
      return `UNSUBSCRIBE id=${p.packetId} ${p.filters.join(',')}`;
    case 'suback':
      return `SUBACK id=${p.packetId} ${p.granted.join(',')}`;
    case 'pingreq':
    case 'pingresp':
    case 'disconnect':
      return p.type.toUpperCase();
    default:
      return `${p.type.toUpperCase()} id=${p.packetId}`;
  }
}

export class SessionHarness {
  readonly session: MqttSession;
  now = 0;
  /** Everything that happened, in order. */
  log: string[] = [];
  /** When the session last reported 'disconnected' (virtual ms). */
  disconnectedAt: number | undefined;
  readonly #decoder = new PacketDecoder();

  constructor(options: Partial<SessionOptions> = {}) {
    this.session = new MqttSession({ clientId: 'sensor1', random: () => 0.5, ...options });
  }

  apply(out: SessionOutput): void {
    if (out.txLength > 0) {
      this.#decoder.push(out.tx.slice(0, out.txLength), (p) => this.log.push(`> ${describePacket(p)}`));
    }
    for (let i = 0; i < out.completedCount; i++) this.log.push(`completed ${out.completed[i]}`);
    for (const e of out.events) {
      switch (e.type) {
        case 'connected': this.log.push(`event connected sp=${e.sessionPresent ? 1 : 0}`); break;
        case 'disconnected':
          this.disconnectedAt = this.now;
          this.log.push(`event disconnected${e.error ? `: ${e.error.message}` : ''}`);
          break;
        case 'message': this.log.push(`event message q${e.message.qos} t=${e.message.topic} p=${text(e.message.payload)}${e.message.retain ? ' retain' : ''}`); break;
        case 'subscribed': this.log.push(`event subscribed ${e.token} [${e.granted.join(',')}]`); break;
        case 'unsubscribed': this.log.push(`event unsubscribed ${e.token}`); break;
        case 'takenOver': this.log.push(`event taken over after ${e.closures} closures`); break;
        case 'error': this.log.push(`event error ${(e.error as Error & { code?: string }).code ?? e.error.name}: ${e.error.message}`); break;
      }
    }
    if (out.closeTransport) this.log.push('close transport');
    if (out.openTransport) this.log.push('open transport');
  }

  /** Returns the log since the last take and clears it. */
  take(): string[] {
    const log = this.log;
    this.log = [];
    return log;
  }

  start(): this {
    this.apply(this.session.start(this.now));
    return this;
  }
  opened(): this {
    this.apply(this.session.transportOpened(this.now));
    return this;
  }
  closed(message?: string): this {
    this.apply(this.session.transportClosed(this.now, message ? new Error(message) : undefined));
    return this;
  }
  receive(...packets: Packet[]): this {
    for (const packet of packets) this.apply(this.session.receive(encode(packet), this.now));
    return this;
  }
  receiveBytes(bytes: Uint8Array): this {
    this.apply(this.session.receive(bytes, this.now));
    return this;
  }
  /** Moves the clock forward, calling tick() whenever the session asked to be woken. */
  advance(ms: number): this {
    const end = this.now + ms;
    while (this.session.out.wakeAtMs <= end) {
      this.now = Math.max(this.now, this.session.out.wakeAtMs);
      this.apply(this.session.tick(this.now));
    }
    this.now = end;
    return this;
  }
  publish(topic: string, payload: string, qos: 0 | 1 | 2 = 0, retain = false): number {
    const token = this.session.publish(topic, bytesOf(payload), qos, retain, this.now);
    this.apply(this.session.out);
    return token;
  }
  subscribe(filter: string, qos: 0 | 1 | 2 = 1): number {
    const token = this.session.subscribe([{ filter, qos }], this.now);
    this.apply(this.session.out);
    return token;
  }
  unsubscribe(filter: string): number {
    const token = this.session.unsubscribe([filter], this.now);
    this.apply(this.session.out);
    return token;
  }
  end(): this {
    this.apply(this.session.end(this.now));
    return this;
  }
  /** start + open + CONNACK accepted. */
  connect(sessionPresent = false): this {
    return this.start().opened().receive({ type: 'connack', sessionPresent, returnCode: 0 });
  }
}
