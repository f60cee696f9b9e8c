// The MQTT 3.1.1 client session as a sans-I/O state machine: it never touches a socket or a timer.
// Every entry point takes the current time and returns the same SessionOutput object, refilled:
// bytes to write, events for the application, publishes now complete, whether to open or close the
// transport, and when tick() must be called next. The caller (client.ts) owns all I/O and time.
//
// Memory: in-flight publishes live in slots pre-allocated to the window and indexed by packet id, so
// an ack is O(1). A steady-state publish allocates nothing but what the caller passed in.
//
// It keeps only MQTT's own state: it has no queue. A QoS 1/2 publish takes a free packet-id slot or
// is refused (WINDOW_FULL; `canPublish` says beforehand), connected or not: offline it waits in its
// slot and goes out at the next CONNACK, in order. So nothing is ever dropped here; what waits, what
// may be dropped and how many are in flight is the application's one policy (src/app/outbox.ts).
//
// Liveness: a PINGREQ after ¾ keepalive without sending or without an answer; while anything awaits
// an answer, the broker must give one within the response timeout, or the link is declared dead.
//
// It is one file of some 550 lines on purpose: the connection state, the window and the timers
// change together on every event, and reading them side by side is how a change stays right. What
// can live apart does: the reconnect policy (reconnect.ts) and the SUBSCRIBE bookkeeping
// (subscriptions.ts). publish() and the PUBACK path are written flat: on XS every call and every
// argument costs (README, "The publish hot path on XS").
import { ConnectionRefusedError, ProtocolError, UsageError } from './errors';
import { PacketDecoder } from './decode';
import { encodeInto, encodedLength, encodePublishInto, packetLength, publishFlags } from './encode';
import { MAX_REMAINING_LENGTH, PacketType, type Packet, type PublishPacket, type QoS, type Subscription } from './packets';
import { SessionOutput, type IncomingMessage, type SessionFootprint, type SessionOptions } from './session-types';

export * from './session-types';
import { ReconnectPolicy } from './reconnect';
import { Subscriptions, type SubscriptionRequest } from './subscriptions';
import { TopicCache } from './topic';

type State = 'idle' | 'waiting' | 'opening' | 'connecting' | 'connected' | 'ended';

const EMPTY = new Uint8Array(0);

/** A publish in flight (in a packet-id slot). Pre-allocated and reused. */
class Message {
  token = 0;
  /** The topic as it goes on the wire (TopicCache). */
  topicField: Uint8Array = EMPTY;
  payload: Uint8Array = EMPTY;
  qos: QoS = 0;
  retain = false;
  /** The packet's remaining length, computed once at publish(). */
  remaining = 0;
  /** In flight: 'publish' until PUBACK/PUBREC, 'pubrel' until PUBCOMP. */
  phase: 'free' | 'publish' | 'pubrel' = 'free';
  /** Order of publish(), for sending in order after a reconnect. */
  order = 0;
  /** Written at least once: a resend carries DUP. False for a publish made while offline. */
  sent = false;
}

const DEFAULT_MAX_PACKET_BYTES = 2 * 1024 * 1024;
/** Incoming QoS 2 messages received and not yet released by PUBREL that we keep track of. */
const MAX_INCOMING_QOS2 = 64;

export class MqttSession {
  readonly options: Required<Omit<SessionOptions, 'username' | 'password' | 'will' | 'reconnect' | 'responseTimeoutMs'>> & SessionOptions;
  readonly out: SessionOutput;
  #state: State = 'idle';
  readonly #decoder: PacketDecoder;
  readonly #topics = new TopicCache();
  readonly #topicFields = this.#topics.fields;
  readonly #onPacket: (packet: Packet) => void;
  readonly #onAck: (type: number, packetId: number) => void;
  #now = 0;
  #nextToken = 1;
  #sendOrder = 0;
  // In flight: slot i holds packet id i + 1.
  readonly #inflight: Message[];
  #inflightCount = 0;
  #nextSlot = 0;
  // Incoming QoS 2 packet ids PUBRECed and not yet released: delivered once only.
  readonly #incomingQos2 = new Set<number>();
  // SUBSCRIBE/UNSUBSCRIBE requests and what should stay subscribed (subscriptions.ts).
  readonly #subscriptions: Subscriptions;
  // Liveness: a PINGREQ after ¾ keepalive without sending, or without an answer from the broker; and
  // while anything awaits an answer, the broker must give one (any one) within the response timeout.
  readonly #pingAfterMs: number;
  readonly #responseTimeoutMs: number;
  #lastSentMs = 0;
  #lastAnsweredMs = 0;
  #pingOutstanding = false;
  #responseDeadline = Infinity;
  #connackDeadline = Infinity;
  // Reconnecting (the delays and what repeated losses mean: reconnect.ts).
  readonly #reconnect: ReconnectPolicy;
  #reconnectAt = Infinity;

  constructor(options: SessionOptions) {
    this.options = {
      cleanSession: true,
      keepaliveS: 60,
      maxInflight: 16,
      connectTimeoutMs: 10_000,
      maxPacketBytes: DEFAULT_MAX_PACKET_BYTES,
      random: Math.random,
      ...options,
    };
    const { maxInflight, keepaliveS, responseTimeoutMs } = this.options;
    const keepaliveMs = keepaliveS * 1000;
    this.#pingAfterMs = keepaliveMs > 0 ? keepaliveMs * 0.75 : Infinity;
    this.#responseTimeoutMs = responseTimeoutMs ?? (keepaliveMs > 0 ? keepaliveMs / 2 : Infinity);
    if (!(this.#responseTimeoutMs > 0)) throw new UsageError('INVALID_OPTION', `responseTimeoutMs must be more than 0, not ${responseTimeoutMs}`);
    this.#reconnect = new ReconnectPolicy(this.options.reconnect, keepaliveMs, this.options.random);
    if (!(maxInflight >= 1 && maxInflight <= 32768)) throw new UsageError('INVALID_OPTION', `maxInflight must be 1 to 32768, not ${maxInflight}`);
    this.#inflight = Array.from({ length: maxInflight }, () => new Message());
    this.#subscriptions = new Subscriptions(maxInflight + 1); // ids above the publish window
    this.out = new SessionOutput(maxInflight + 1);
    this.#decoder = new PacketDecoder({ maxPacketBytes: this.options.maxPacketBytes });
    this.#onPacket = (packet) => this.#handlePacket(packet);
    this.#onAck = (type, packetId) => this.#handleAck(type, packetId);
  }

  get state(): State {
    return this.#state;
  }
  get connected(): boolean {
    return this.#state === 'connected';
  }
  get inflightCount(): number {
    return this.#inflightCount;
  }
  /** True while something awaits the broker's answer (the response clock runs): for tests and diagnostics. */
  get awaitingAnswer(): boolean {
    return this.#responseDeadline !== Infinity;
  }
  /** What the session holds now (bounded whatever the broker sends): for diagnostics and the fuzzer. */
  footprint(): SessionFootprint {
    return {
      inflight: this.#inflightCount,
      incomingQos2: this.#incomingQos2.size,
      pendingRequests: this.#subscriptions.pendingCount,
      unsentRequests: this.#subscriptions.unsentCount,
      decoderBytes: this.#decoder.bufferedBytes,
      txBufferBytes: this.out.tx.length,
    };
  }

  /** Whether publish() at this QoS would be accepted now: QoS 0 needs the connection, QoS 1/2 a free slot. */
  canPublish(qos: QoS): boolean {
    return qos === 0 ? this.#state === 'connected' : this.#inflightCount < this.#inflight.length;
  }

  // ---- entry points -------------------------------------------------------------------------

  /** Starts connecting: the caller opens the transport and then calls transportOpened(). */
  start(now: number): SessionOutput {
    this.#begin(now);
    if (this.#state === 'idle' || this.#state === 'ended') this.#open();
    return this.#finish();
  }

  transportOpened(now: number): SessionOutput {
    this.#begin(now);
    if (this.#state !== 'opening') return this.#finish();
    const { clientId, cleanSession, keepaliveS, username, password, will } = this.options;
    this.#write({ type: 'connect', clientId, cleanSession, keepaliveS, username, password, will });
    this.#state = 'connecting';
    this.#connackDeadline = now + this.options.connectTimeoutMs;
    return this.#finish();
  }

  /** The transport closed (or failed to open); `error` says why when it was not our doing. */
  transportClosed(now: number, error?: Error): SessionOutput {
    this.#begin(now);
    if (this.#state === 'ended' || this.#state === 'idle') return this.#finish();
    this.#lost(error, true);
    return this.#finish();
  }

  receive(bytes: Uint8Array, now: number): SessionOutput {
    // The hot path, flat: a chunk that is one PUBACK for a QoS 1 publish in flight (a publisher's
    // every answer), handled without the decoder's callbacks. Anything else, and a PUBACK that is
    // not awaited (an error to report), takes the general path below. It needs no #finish(): an
    // answer only moves the deadlines later, so the last wakeAtMs stays valid (at worst early, and
    // tick() then finds nothing due).
    const packetId = this.#decoder.wholePuback(bytes);
    if (packetId !== 0 && this.#state === 'connected') {
      const slot = this.#inflight[packetId - 1]; // undefined beyond the window
      if (slot !== undefined && slot.phase === 'publish' && slot.qos === 1) {
        const out = this.out; // #begin(now), inline
        this.#now = now;
        out.txLength = 0;
        if (out.events.length > 0) out.events = [];
        out.openTransport = false;
        out.closeTransport = false;
        out.completed[0] = slot.token;
        out.completedCount = 1;
        slot.phase = 'free'; // the slot freed as #onPublishAck does, then #answered(), inline
        slot.payload = EMPTY;
        const awaiting = --this.#inflightCount > 0 || this.#pingOutstanding || this.#subscriptions.pendingCount > 0;
        this.#lastAnsweredMs = now;
        this.#responseDeadline = awaiting ? now + this.#responseTimeoutMs : Infinity;
        return out;
      }
    }
    this.#begin(now);
    if (this.#state !== 'connecting' && this.#state !== 'connected') return this.#finish();
    try {
      this.#decoder.push(bytes, this.#onPacket, this.#onAck);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.#fail(error);
    }
    return this.#finish();
  }

  tick(now: number): SessionOutput {
    this.#begin(now);
    if (this.#state === 'connecting' && now >= this.#connackDeadline) {
      this.#fail(new ProtocolError('CONNACK_TIMEOUT', 'MQTT-3.1.4', `no CONNACK within ${this.options.connectTimeoutMs} ms`));
    } else if (this.#state === 'connected') {
      if (now >= this.#responseDeadline) {
        this.#fail(this.#silenceError());
      } else if (!this.#pingOutstanding && now >= Math.min(this.#lastSentMs, this.#lastAnsweredMs) + this.#pingAfterMs) {
        this.#write({ type: 'pingreq' });
        this.#pingOutstanding = true;
        this.#expectAnswer();
      }
    } else if (this.#state === 'opening' && now >= this.#connackDeadline) {
      this.#fail(new ProtocolError('CONNECT_TIMEOUT', 'MQTT-3.1.4', `the transport did not open within ${this.options.connectTimeoutMs} ms`));
    } else if (this.#state === 'waiting' && now >= this.#reconnectAt) {
      this.#reconnectAt = Infinity;
      this.#open();
    }
    return this.#finish();
  }

  /** Skips what is left of the reconnect backoff (the network just came back). */
  retryNow(now: number): SessionOutput {
    this.#begin(now);
    if (this.#state === 'waiting') {
      this.#reconnectAt = Infinity;
      this.#open();
    }
    return this.#finish();
  }

  /**
   * Publishes a message and returns its token; the token appears in `out.completed` when the
   * delivery is done. QoS 1/2 takes a packet-id slot, connected or not (offline, it goes out at the
   * next CONNACK); with every slot taken it throws WINDOW_FULL. QoS 0 is sent now or refused
   * (NOT_CONNECTED). Nothing is queued here: check `canPublish` first. The payload is kept by
   * reference until completion: do not change it.
   */
  publish(topic: string, payload: Uint8Array, qos: QoS, retain: boolean, now: number): number {
    // The hot path, flat on purpose: on XS every call and every argument is paid for. The topic was
    // encoded once (TopicCache); the length is computed once; the slot is filled in place.
    const topicField = this.#topicFields.get(topic) ?? this.#topics.field(topic);
    if (qos === 0 ? this.#state !== 'connected' : qos === 1 || qos === 2 ? this.#inflightCount === this.#inflight.length : true) {
      throw this.#refusal(topic, qos);
    }
    const remaining = topicField.length + payload.length + (qos === 0 ? 0 : 2);
    if (remaining > MAX_REMAINING_LENGTH) packetLength(remaining); // throws PACKET_TOO_LARGE
    const out = this.out; // #begin(now), inline
    this.#now = now;
    out.txLength = 0;
    if (out.events.length > 0) out.events = [];
    out.completedCount = 0;
    out.openTransport = false;
    out.closeTransport = false;
    const token = this.#nextToken++;
    let packetId = 0;
    if (qos === 0) {
      out.completed[out.completedCount++] = token; // QoS 0 is done once written
    } else {
      // The next free slot; its index is the packet id - 1.
      const slots = this.#inflight;
      let index = this.#nextSlot;
      while (slots[index].phase !== 'free') index = index + 1 === slots.length ? 0 : index + 1;
      this.#nextSlot = index + 1 === slots.length ? 0 : index + 1;
      const slot = slots[index];
      slot.token = token;
      slot.topicField = topicField;
      slot.payload = payload;
      slot.qos = qos;
      slot.retain = retain;
      slot.remaining = remaining;
      slot.phase = 'publish';
      slot.order = ++this.#sendOrder;
      slot.sent = this.#state === 'connected';
      this.#inflightCount++;
      if (!slot.sent) return token; // offline: it goes out at the next CONNACK
      packetId = index + 1;
    }
    const length = remaining < 128 ? remaining + 2 : packetLength(remaining); // #writePublish, inline
    if (length > out.tx.length) this.#reserve(length);
    out.txLength = encodePublishInto(out.tx, 0, (qos << 1) | (retain ? 1 : 0), remaining, topicField, packetId, payload);
    this.#lastSentMs = now;
    if (qos !== 0 && this.#responseDeadline === Infinity) this.#expectAnswer();
    // No #finish(): a publish never brings a wake-up forward, except the response clock, which
    // #expectAnswer brings forward itself; the last wakeAtMs stays valid (at worst early).
    return token;
  }

  #refusal(topic: string, qos: QoS): UsageError {
    if (qos !== 0 && qos !== 1 && qos !== 2) return new UsageError('INVALID_QOS', `QoS ${qos} is not 0, 1 or 2`);
    return qos === 0
      ? new UsageError('NOT_CONNECTED', `QoS 0 publish to ${JSON.stringify(topic)} while not connected: QoS 0 is sent now or not at all`)
      : new UsageError('WINDOW_FULL', `all ${this.#inflight.length} in-flight slots are taken; ${JSON.stringify(topic)} was not accepted (wait for a completion)`);
  }

  subscribe(subscriptions: Subscription[], now: number): number {
    const request = this.#subscriptions.subscribe(this.#nextToken, subscriptions); // throws on a bad filter or QoS
    this.#nextToken++;
    this.#begin(now);
    this.#request(request);
    this.#finish();
    return request.token;
  }

  unsubscribe(filters: string[], now: number): number {
    const request = this.#subscriptions.unsubscribe(this.#nextToken, filters); // throws on a bad filter
    this.#nextToken++;
    this.#begin(now);
    this.#request(request);
    this.#finish();
    return request.token;
  }

  /** Ends the session cleanly: DISCONNECT (so the broker drops the will), then close. */
  end(now: number): SessionOutput {
    this.#begin(now);
    if (this.#state === 'connected') this.#write({ type: 'disconnect' });
    if (this.#state !== 'idle' && this.#state !== 'ended') this.out.closeTransport = this.#state !== 'waiting';
    this.#state = 'ended';
    this.#clearTimers();
    this.#decoder.reset();
    this.#reconnect.reset();
    return this.#finish();
  }

  // ---- incoming packets ---------------------------------------------------------------------

  #handlePacket(packet: Packet): void {
    if (this.#state === 'connecting') {
      if (packet.type !== 'connack') {
        throw new ProtocolError('EXPECTED_CONNACK', 'MQTT-3.2.0-1', `the broker sent ${packet.type.toUpperCase()} before CONNACK`);
      }
      this.#onConnack(packet.returnCode, packet.sessionPresent);
      return;
    }
    if (this.#state !== 'connected') return; // after a failure in the same chunk: ignore the rest
    switch (packet.type) {
      case 'publish':
        this.#onPublish(packet);
        return;
      case 'suback':
        this.#onRequestAck(packet.packetId, packet.granted);
        this.#answered();
        return;
      case 'pingresp':
        this.#pingOutstanding = false;
        this.#answered();
        return;
      default:
        throw new ProtocolError('UNEXPECTED_PACKET', 'MQTT-3', `a broker must not send ${packet.type.toUpperCase()} to a client`);
    }
  }

  /** PUBACK, PUBREC, PUBREL, PUBCOMP and UNSUBACK, decoded without a packet object. */
  #handleAck(type: number, packetId: number): void {
    if (this.#state !== 'connected') {
      if (this.#state === 'connecting') {
        throw new ProtocolError('EXPECTED_CONNACK', 'MQTT-3.2.0-1', 'the broker sent an acknowledgement before CONNACK');
      }
      return; // after a failure in the same chunk: ignore the rest
    }
    switch (type) {
      case PacketType.pubrel:
        this.#incomingQos2.delete(packetId);
        this.#write({ type: 'pubcomp', packetId });
        break;
      case PacketType.unsuback:
        this.#onRequestAck(packetId, undefined);
        break;
      default:
        this.#onPublishAck(type, packetId);
    }
    this.#answered();
  }

  #onConnack(returnCode: number, sessionPresent: boolean): void {
    this.#connackDeadline = Infinity;
    if (returnCode !== 0) {
      this.#fail(new ConnectionRefusedError(returnCode));
      return;
    }
    this.#state = 'connected';
    this.#lastAnsweredMs = this.#now;
    if (!sessionPresent) this.#incomingQos2.clear();
    this.out.events.push({ type: 'connected', sessionPresent });
    const closures = this.#reconnect.connected(this.#now);
    if (closures > 0) this.out.events.push({ type: 'takenOver', closures });
    this.#resendInflight();
    for (const request of this.#subscriptions.toSend(sessionPresent)) this.#request(request);
  }

  #onPublish(packet: PublishPacket): void {
    const message: IncomingMessage = { topic: packet.topic, payload: packet.payload, qos: packet.qos, retain: packet.retain, dup: packet.dup };
    if (packet.qos === 0) {
      this.out.events.push({ type: 'message', message });
    } else if (packet.qos === 1) {
      this.out.events.push({ type: 'message', message });
      this.#write({ type: 'puback', packetId: packet.packetId! });
    } else {
      // Exactly once: deliver on the first PUBLISH of this id, then only re-acknowledge until PUBREL.
      if (!this.#incomingQos2.has(packet.packetId!)) {
        if (this.#incomingQos2.size >= MAX_INCOMING_QOS2) {
          // A broker that never releases would make this set grow to 65535 ids: refuse instead.
          throw new ProtocolError(
            'TOO_MANY_QOS2',
            'MQTT-4.3.3',
            `the broker has ${MAX_INCOMING_QOS2} QoS 2 messages awaiting PUBREL and sent another; this client holds at most ${MAX_INCOMING_QOS2}`,
          );
        }
        this.#incomingQos2.add(packet.packetId!);
        this.out.events.push({ type: 'message', message });
      }
      this.#write({ type: 'pubrec', packetId: packet.packetId! });
    }
  }

  #onPublishAck(type: number, packetId: number): void {
    const slot = packetId <= this.#inflight.length ? this.#inflight[packetId - 1] : undefined;
    const expected = !slot
      ? false
      : type === PacketType.puback
        ? slot.phase === 'publish' && slot.qos === 1
        : type === PacketType.pubrec
          ? slot.qos === 2 && slot.phase !== 'free' // a PUBREC after PUBREL was sent is answered again
          : slot.phase === 'pubrel';
    if (!slot || !expected) {
      const name = type === PacketType.puback ? 'PUBACK' : type === PacketType.pubrec ? 'PUBREC' : 'PUBCOMP';
      this.out.events.push({
        type: 'error',
        error: new ProtocolError('UNSOLICITED_ACK', 'MQTT-4.3', `the broker sent ${name} for packet id ${packetId}, which is not awaiting it`),
      });
      return;
    }
    if (type === PacketType.pubrec) {
      slot.phase = 'pubrel';
      this.#write({ type: 'pubrel', packetId });
      return;
    }
    this.out.completed[this.out.completedCount++] = slot.token;
    slot.phase = 'free';
    slot.payload = EMPTY;
    this.#inflightCount--;
  }

  #onRequestAck(packetId: number, granted: number[] | undefined): void {
    const request = this.#subscriptions.acknowledged(packetId, granted !== undefined);
    if (!request) {
      this.out.events.push({
        type: 'error',
        error: new ProtocolError('UNSOLICITED_ACK', 'MQTT-3.9.3', `the broker acknowledged packet id ${packetId}, which is not awaiting it`),
      });
      return;
    }
    if (granted) {
      if (granted.length !== request.subscriptions.length) {
        throw new ProtocolError('SUBACK_MISMATCH', 'MQTT-3.8.4-5', `SUBACK has ${granted.length} return codes for ${request.subscriptions.length} filters`);
      }
      if (request.token > 0) this.out.events.push({ type: 'subscribed', token: request.token, granted });
    } else if (request.token > 0) {
      this.out.events.push({ type: 'unsubscribed', token: request.token });
    }
  }

  // ---- outgoing -----------------------------------------------------------------------------

  /**
   * After CONNACK: unacknowledged publishes go again with DUP, in their original order
   * [MQTT-4.4.0-1]; publishes made while offline go out for the first time, in the same order.
   */
  #resendInflight(): void {
    if (this.#inflightCount === 0) return;
    const waiting = this.#inflight.filter((slot) => slot.phase !== 'free').sort((a, b) => a.order - b.order);
    for (const slot of waiting) {
      const packetId = this.#inflight.indexOf(slot) + 1;
      if (slot.phase === 'publish') {
        this.#writePublish(publishFlags(slot.qos, slot.retain, slot.sent), slot.remaining, slot.topicField, packetId, slot.payload);
        slot.sent = true;
      } else this.#write({ type: 'pubrel', packetId });
    }
    this.#expectAnswer();
  }

  /** Sends a SUBSCRIBE/UNSUBSCRIBE now, or keeps it for the next connection. */
  #request(request: SubscriptionRequest): void {
    if (this.#state !== 'connected') {
      this.#subscriptions.hold(request);
      return;
    }
    const packetId = this.#subscriptions.send(request);
    if (request.kind === 'subscribe') this.#write({ type: 'subscribe', packetId, subscriptions: request.subscriptions });
    else this.#write({ type: 'unsubscribe', packetId, filters: request.filters });
    this.#expectAnswer();
  }

  #writePublish(flags: number, remaining: number, topicField: Uint8Array, packetId: number, payload: Uint8Array): void {
    const out = this.out;
    const length = remaining < 128 ? remaining + 2 : packetLength(remaining);
    if (out.txLength + length > out.tx.length) this.#reserve(length);
    out.txLength = encodePublishInto(out.tx, out.txLength, flags, remaining, topicField, packetId, payload);
    this.#lastSentMs = this.#now;
  }

  #write(packet: Packet): void {
    this.#reserve(encodedLength(packet));
    this.out.txLength = encodeInto(packet, this.out.tx, this.out.txLength);
    this.#lastSentMs = this.#now;
  }

  #reserve(bytes: number): void {
    const out = this.out;
    if (out.txLength + bytes <= out.tx.length) return;
    const grown = new Uint8Array(Math.max(out.tx.length * 2, out.txLength + bytes));
    grown.set(out.tx.subarray(0, out.txLength));
    out.tx = grown;
  }

  // ---- connection loss and timing ----------------------------------------------------------

  /** Something the broker sends starts the response clock if it is not running yet. */
  #expectAnswer(): void {
    if (this.#responseDeadline !== Infinity) return;
    this.#responseDeadline = this.#now + this.#responseTimeoutMs;
    if (this.#responseDeadline < this.out.wakeAtMs) this.out.wakeAtMs = this.#responseDeadline;
  }

  /** The broker answered: the link is alive; the clock restarts for whatever still awaits an answer. */
  #answered(): void {
    this.#lastAnsweredMs = this.#now;
    const awaiting = this.#inflightCount > 0 || this.#pingOutstanding || this.#subscriptions.pendingCount > 0;
    this.#responseDeadline = awaiting ? this.#now + this.#responseTimeoutMs : Infinity;
  }

  #silenceError(): ProtocolError {
    const waiting = this.#inflightCount + this.#subscriptions.pendingCount;
    if (waiting === 0) {
      return new ProtocolError('PINGRESP_TIMEOUT', 'MQTT-3.1.2-24', `no PINGRESP within ${this.#responseTimeoutMs} ms: the link is dead (half-open)`);
    }
    return new ProtocolError(
      'ACK_TIMEOUT',
      'MQTT-4.4',
      `the broker has not answered for ${this.#responseTimeoutMs} ms while ${waiting} packet(s) await an acknowledgement: the link is dead; they are sent again after reconnecting`,
    );
  }

  /** A protocol failure: report it, close the transport and reconnect later. */
  #fail(error: Error): void {
    this.out.events.push({ type: 'error', error });
    this.out.closeTransport = true;
    this.#lost(error, false);
  }

  /** The connection or the attempt ended; `byPeer` when the transport said so, not we. */
  #lost(error: Error | undefined, byPeer: boolean): void {
    const wasUp = this.#state === 'connected' || this.#state === 'connecting';
    this.#decoder.reset();
    this.#clearTimers();
    this.#subscriptions.lost(); // requests not yet acknowledged are sent again on the next connection
    if (this.#state === 'waiting') return; // already closed and waiting; a second report changes nothing
    this.#state = 'waiting';
    if (wasUp || error) this.out.events.push(error ? { type: 'disconnected', error } : { type: 'disconnected' });
    this.#reconnectAt = this.#now + this.#reconnect.lost(this.#now, byPeer);
  }

  #open(): void {
    this.#state = 'opening';
    this.out.openTransport = true;
    this.#connackDeadline = this.#now + this.options.connectTimeoutMs; // covers the transport opening too
  }

  #clearTimers(): void {
    this.#connackDeadline = Infinity;
    this.#pingOutstanding = false;
    this.#responseDeadline = Infinity;
    this.#reconnectAt = Infinity;
  }

  #begin(now: number): void {
    this.#now = now;
    const out = this.out;
    out.txLength = 0;
    if (out.events.length > 0) out.events = [];
    out.completedCount = 0;
    out.openTransport = false;
    out.closeTransport = false;
  }

  #finish(): SessionOutput {
    const state = this.#state;
    let wake = Infinity;
    if (state === 'connected') {
      wake = this.#responseDeadline;
      if (!this.#pingOutstanding) {
        const quietSince = this.#lastSentMs < this.#lastAnsweredMs ? this.#lastSentMs : this.#lastAnsweredMs;
        if (quietSince + this.#pingAfterMs < wake) wake = quietSince + this.#pingAfterMs;
      }
    } else if (state === 'connecting' || state === 'opening') wake = this.#connackDeadline;
    else if (state === 'waiting') wake = this.#reconnectAt;
    this.out.wakeAtMs = wake;
    return this.out;
  }
}

