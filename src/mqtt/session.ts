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
// It is one file of some 500 lines on purpose: the connection state, the window and the timers
// change together on every event, and reading them side by side is how a change stays right.
import { ConnectionRefusedError, ProtocolError, UsageError } from './errors';
import { PacketDecoder, type DiscardedPublish, type DiscardHandler } from './decode';
import { encodeInto, encodedLength, encodePublishInto, publishLength } from './encode';
import { PacketType, type Packet, type PublishPacket, type QoS, type Subscription } from './packets';
import { SessionOutput, type IncomingMessage, type SessionOptions } from './session-types';

export * from './session-types';
import { TopicCache, topicFilterProblem } from './topic';

type State = 'idle' | 'waiting' | 'opening' | 'connecting' | 'connected' | 'ended';

/** A publish in flight (in a packet-id slot). Pre-allocated and reused. */
class Message {
  token = 0;
  topic = '';
  topicUtf8: Uint8Array = new Uint8Array(0);
  payload: Uint8Array = new Uint8Array(0);
  qos: QoS = 0;
  retain = false;
  /** In flight: 'publish' until PUBACK/PUBREC, 'pubrel' until PUBCOMP. */
  phase: 'free' | 'publish' | 'pubrel' = 'free';
  /** Order of publish(), for sending in order after a reconnect. */
  order = 0;
  /** Written at least once: a resend carries DUP. False for a publish made while offline. */
  sent = false;
  hold(token: number, topic: string, topicUtf8: Uint8Array, payload: Uint8Array, qos: QoS, retain: boolean): void {
    this.token = token;
    this.topic = topic;
    this.topicUtf8 = topicUtf8;
    this.payload = payload;
    this.qos = qos;
    this.retain = retain;
  }
}

interface PendingRequest {
  token: number;
  kind: 'subscribe' | 'unsubscribe';
  subscriptions: Subscription[];
  filters: string[];
}

const DEFAULT_MAX_PACKET_BYTES = 2 * 1024 * 1024;

export class MqttSession {
  readonly options: Required<Omit<SessionOptions, 'username' | 'password' | 'will' | 'reconnect'>> & SessionOptions;
  readonly out: SessionOutput;
  #state: State = 'idle';
  readonly #decoder: PacketDecoder;
  readonly #topics = new TopicCache();
  readonly #onPacket: (packet: Packet) => void;
  readonly #onAck: (type: number, packetId: number) => void;
  readonly #onDiscard: DiscardHandler;
  #now = 0;
  #nextToken = 1;
  #sendOrder = 0;
  // In flight: slot i holds packet id i + 1.
  readonly #inflight: Message[];
  #inflightCount = 0;
  #nextSlot = 0;
  // Incoming QoS 2 packet ids PUBRECed and not yet released: delivered once only.
  readonly #incomingQos2 = new Set<number>();
  // SUBSCRIBE/UNSUBSCRIBE: ids above the publish window.
  #nextRequestId: number;
  readonly #pendingRequests = new Map<number, PendingRequest>();
  #unsentRequests: PendingRequest[] = [];
  /** What the application asked to be subscribed to, to restore when the broker lost the session. */
  readonly #desired = new Map<string, QoS>();
  // Timing
  #lastSentMs = 0;
  #connackDeadline = Infinity;
  #pingDeadline = Infinity;
  #reconnectAt = Infinity;
  #attempt = 0;

  constructor(options: SessionOptions) {
    this.options = {
      cleanSession: true,
      keepaliveS: 60,
      maxInflight: 16,
      connectTimeoutMs: 10_000,
      pingTimeoutMs: 10_000,
      maxPacketBytes: DEFAULT_MAX_PACKET_BYTES,
      random: Math.random,
      ...options,
    };
    const { maxInflight } = this.options;
    if (!(maxInflight >= 1 && maxInflight <= 32768)) throw new UsageError('INVALID_OPTION', `maxInflight must be 1 to 32768, not ${maxInflight}`);
    this.#inflight = Array.from({ length: maxInflight }, () => new Message());
    this.#nextRequestId = maxInflight + 1;
    this.out = new SessionOutput(maxInflight + 1);
    this.#decoder = new PacketDecoder({ maxPacketBytes: this.options.maxPacketBytes });
    this.#onPacket = (packet) => this.#handlePacket(packet);
    this.#onAck = (type, packetId) => this.#handleAck(type, packetId);
    this.#onDiscard = (publish) => this.#discardPublish(publish);
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
    this.#lost(error);
    return this.#finish();
  }

  receive(bytes: Uint8Array, now: number): SessionOutput {
    this.#begin(now);
    if (this.#state !== 'connecting' && this.#state !== 'connected') return this.#finish();
    try {
      this.#decoder.push(bytes, this.#onPacket, this.#onAck, this.#onDiscard);
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
      if (now >= this.#pingDeadline) {
        this.#fail(
          new ProtocolError('PINGRESP_TIMEOUT', 'MQTT-3.1.2-24', `no PINGRESP within ${this.options.pingTimeoutMs} ms: the link is half-open`),
        );
      } else if (this.#pingDeadline === Infinity && this.#keepaliveMs() > 0 && now - this.#lastSentMs >= this.#keepaliveMs()) {
        this.#write({ type: 'pingreq' });
        this.#pingDeadline = now + this.options.pingTimeoutMs;
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
    const topicUtf8 = this.#topics.encode(topic);
    if (qos !== 0 && qos !== 1 && qos !== 2) throw new UsageError('INVALID_QOS', `QoS ${qos} is not 0, 1 or 2`);
    publishLength(topicUtf8.length, payload.length, qos); // throws when the packet would exceed MQTT's maximum
    if (!this.canPublish(qos)) {
      throw qos === 0
        ? new UsageError('NOT_CONNECTED', `QoS 0 publish to ${JSON.stringify(topic)} while not connected: QoS 0 is sent now or not at all`)
        : new UsageError('WINDOW_FULL', `all ${this.#inflight.length} in-flight slots are taken; ${JSON.stringify(topic)} was not accepted (wait for a completion)`);
    }
    this.#begin(now);
    const token = this.#nextToken++;
    this.#sendPublish(token, topic, topicUtf8, payload, qos, retain);
    this.#finish();
    return token;
  }

  subscribe(subscriptions: Subscription[], now: number): number {
    if (subscriptions.length === 0) throw new UsageError('EMPTY_SUBSCRIBE', 'subscribe needs at least one topic filter');
    for (const { filter, qos } of subscriptions) {
      const problem = topicFilterProblem(filter);
      if (problem) throw new UsageError('INVALID_TOPIC_FILTER', `cannot subscribe to ${JSON.stringify(filter)}: ${problem}`);
      if (qos !== 0 && qos !== 1 && qos !== 2) throw new UsageError('INVALID_QOS', `QoS ${qos} is not 0, 1 or 2`);
    }
    this.#begin(now);
    const request: PendingRequest = { token: this.#nextToken++, kind: 'subscribe', subscriptions: subscriptions.slice(), filters: [] };
    for (const { filter, qos } of subscriptions) this.#desired.set(filter, qos);
    this.#request(request);
    this.#finish();
    return request.token;
  }

  unsubscribe(filters: string[], now: number): number {
    if (filters.length === 0) throw new UsageError('EMPTY_UNSUBSCRIBE', 'unsubscribe needs at least one topic filter');
    for (const filter of filters) {
      const problem = topicFilterProblem(filter);
      if (problem) throw new UsageError('INVALID_TOPIC_FILTER', `cannot unsubscribe from ${JSON.stringify(filter)}: ${problem}`);
    }
    this.#begin(now);
    const request: PendingRequest = { token: this.#nextToken++, kind: 'unsubscribe', subscriptions: [], filters: filters.slice() };
    for (const filter of filters) this.#desired.delete(filter);
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
        return;
      case 'pingresp':
        this.#pingDeadline = Infinity;
        return;
      default:
        throw new ProtocolError('UNEXPECTED_PACKET', 'MQTT-3', `a broker must not send ${packet.type.toUpperCase()} to a client`);
    }
  }

  /** PUBACK, PUBREC, PUBREL, PUBCOMP and UNSUBACK, decoded without a packet object. */
  #handleAck(type: number, packetId: number): void {
    if (this.#state === 'connecting') {
      throw new ProtocolError('EXPECTED_CONNACK', 'MQTT-3.2.0-1', 'the broker sent an acknowledgement before CONNACK');
    }
    if (this.#state !== 'connected') return;
    switch (type) {
      case PacketType.pubrel:
        this.#incomingQos2.delete(packetId);
        this.#write({ type: 'pubcomp', packetId });
        return;
      case PacketType.unsuback:
        this.#onRequestAck(packetId, undefined);
        return;
      default:
        this.#onPublishAck(type, packetId);
    }
  }

  #onConnack(returnCode: number, sessionPresent: boolean): void {
    this.#connackDeadline = Infinity;
    if (returnCode !== 0) {
      this.#fail(new ConnectionRefusedError(returnCode));
      return;
    }
    this.#state = 'connected';
    this.#attempt = 0;
    if (!sessionPresent) this.#incomingQos2.clear();
    this.out.events.push({ type: 'connected', sessionPresent });
    this.#resendInflight();
    if (!sessionPresent && this.#desired.size > 0) this.#restoreSubscriptions();
    const unsent = this.#unsentRequests;
    this.#unsentRequests = [];
    for (const request of unsent) this.#request(request);
  }

  /**
   * A PUBLISH over maxPacketBytes went past without being held (decode.ts): it is acknowledged, so
   * the broker does not send it again at every reconnect, and reported; it is not delivered.
   */
  #discardPublish(publish: DiscardedPublish): void {
    if (this.#state !== 'connected') return;
    if (publish.qos === 1) this.#write({ type: 'puback', packetId: publish.packetId });
    else if (publish.qos === 2) {
      this.#incomingQos2.add(publish.packetId); // its PUBREL is answered; nothing is delivered
      this.#write({ type: 'pubrec', packetId: publish.packetId });
    }
    const message = `dropped a ${publish.retain ? 'retained ' : ''}PUBLISH of ${publish.bytes} bytes on "${publish.topic}": this client takes packets of at most ${this.options.maxPacketBytes} bytes`;
    this.out.events.push({ type: 'error', error: new ProtocolError('PACKET_TOO_LARGE', 'MQTT-2.2.3', message) });
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
    this.#complete(slot.token);
    slot.phase = 'free';
    slot.payload = EMPTY;
    this.#inflightCount--;
  }

  #onRequestAck(packetId: number, granted: number[] | undefined): void {
    const request = this.#pendingRequests.get(packetId);
    if (!request || (request.kind === 'subscribe') !== (granted !== undefined)) {
      this.out.events.push({
        type: 'error',
        error: new ProtocolError('UNSOLICITED_ACK', 'MQTT-3.9.3', `the broker acknowledged packet id ${packetId}, which is not awaiting it`),
      });
      return;
    }
    this.#pendingRequests.delete(packetId);
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

  #sendPublish(token: number, topic: string, topicUtf8: Uint8Array, payload: Uint8Array, qos: QoS, retain: boolean): void {
    if (qos === 0) {
      this.#writePublish(topicUtf8, payload, 0, retain, false, 0);
      this.#complete(token);
      return;
    }
    let index = this.#nextSlot;
    while (this.#inflight[index].phase !== 'free') index = (index + 1) % this.#inflight.length;
    this.#nextSlot = (index + 1) % this.#inflight.length;
    const slot = this.#inflight[index];
    slot.hold(token, topic, topicUtf8, payload, qos, retain);
    slot.phase = 'publish';
    slot.order = ++this.#sendOrder;
    this.#inflightCount++;
    slot.sent = this.#state === 'connected';
    if (slot.sent) this.#writePublish(topicUtf8, payload, qos, retain, false, index + 1);
  }

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
        this.#writePublish(slot.topicUtf8, slot.payload, slot.qos, slot.retain, slot.sent, packetId);
        slot.sent = true;
      } else this.#write({ type: 'pubrel', packetId });
    }
  }

  #restoreSubscriptions(): void {
    const inFlight = new Set<string>();
    for (const request of [...this.#pendingRequests.values(), ...this.#unsentRequests]) {
      for (const s of request.subscriptions) inFlight.add(s.filter);
    }
    const subscriptions: Subscription[] = [];
    for (const [filter, qos] of this.#desired) if (!inFlight.has(filter)) subscriptions.push({ filter, qos });
    if (subscriptions.length > 0) this.#request({ token: 0, kind: 'subscribe', subscriptions, filters: [] });
  }

  #request(request: PendingRequest): void {
    if (this.#state !== 'connected') {
      this.#unsentRequests.push(request);
      return;
    }
    let packetId = this.#nextRequestId;
    while (this.#pendingRequests.has(packetId)) packetId = packetId >= 65535 ? this.#inflight.length + 1 : packetId + 1;
    this.#nextRequestId = packetId >= 65535 ? this.#inflight.length + 1 : packetId + 1;
    this.#pendingRequests.set(packetId, request);
    if (request.kind === 'subscribe') this.#write({ type: 'subscribe', packetId, subscriptions: request.subscriptions });
    else this.#write({ type: 'unsubscribe', packetId, filters: request.filters });
  }

  #writePublish(topic: Uint8Array, payload: Uint8Array, qos: QoS, retain: boolean, dup: boolean, packetId: number): void {
    this.#reserve(publishLength(topic.length, payload.length, qos));
    this.out.txLength = encodePublishInto(this.out.tx, this.out.txLength, topic, payload, qos, retain, dup, packetId);
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

  #complete(token: number): void {
    this.out.completed[this.out.completedCount++] = token;
  }

  // ---- connection loss and timing ----------------------------------------------------------

  /** A protocol failure: report it, close the transport and reconnect later. */
  #fail(error: Error): void {
    this.out.events.push({ type: 'error', error });
    this.out.closeTransport = true;
    this.#lost(error);
  }

  #lost(error: Error | undefined): void {
    const wasUp = this.#state === 'connected' || this.#state === 'connecting';
    this.#decoder.reset();
    this.#clearTimers();
    // Requests not yet acknowledged are sent again on the next connection.
    this.#unsentRequests = [...this.#pendingRequests.values(), ...this.#unsentRequests];
    this.#pendingRequests.clear();
    if (this.#state === 'waiting') return; // already closed and waiting; a second report changes nothing
    this.#state = 'waiting';
    if (wasUp || error) this.out.events.push(error ? { type: 'disconnected', error } : { type: 'disconnected' });
    this.#reconnectAt = this.#now + this.#backoffMs();
  }

  #backoffMs(): number {
    const { minDelayMs = 500, maxDelayMs = 30_000, jitter = 0.5 } = this.options.reconnect ?? {};
    const delay = Math.min(maxDelayMs, minDelayMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    return Math.round(delay * (1 - jitter * this.options.random()));
  }

  #open(): void {
    this.#state = 'opening';
    this.out.openTransport = true;
    this.#connackDeadline = this.#now + this.options.connectTimeoutMs; // covers the transport opening too
  }

  #keepaliveMs(): number {
    return this.options.keepaliveS * 1000;
  }

  #clearTimers(): void {
    this.#connackDeadline = Infinity;
    this.#pingDeadline = Infinity;
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
    let wake = Infinity;
    if (this.#state === 'connecting' || this.#state === 'opening') wake = this.#connackDeadline;
    else if (this.#state === 'connected') {
      wake = this.#pingDeadline !== Infinity ? this.#pingDeadline : this.#keepaliveMs() > 0 ? this.#lastSentMs + this.#keepaliveMs() : Infinity;
    } else if (this.#state === 'waiting') wake = this.#reconnectAt;
    this.out.wakeAtMs = wake;
    return this.out;
  }
}

const EMPTY = new Uint8Array(0);
