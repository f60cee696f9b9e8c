// Session fuzzing: a hostile broker against the whole MQTT client (MqttClient → MqttSession →
// decoder), on a virtual clock. One client lives through many inputs, as a device lives through many
// bad connections; every few thousand inputs a fresh one starts with other options. An input is one
// stretch of a connection: the client (re)connects, publishes and subscribes, and the broker answers
// with a random byte stream: valid packets, out-of-order and unsolicited ones (acks for unknown ids,
// duplicate PUBRELs, a second CONNACK), packets a broker must never send, huge remaining lengths,
// mutated bytes, truncation at any byte, all split into random chunks, with time passing in between
// (pings, response timeouts, reconnects). Shared by `npm test` (bounded) and `npm run fuzz` (long).
//
// After every input it checks that no exception escaped the client, that what the client holds stays
// bounded, and that every QoS 1/2 publish is either completed exactly once or still held in flight.
// Written for speed (a seeded xorshift generator, packets written straight into one buffer): the
// long run must try a million inputs a minute.
import { MqttClient } from '../../src/mqtt/client';
import type { QoS } from '../../src/mqtt/packets';
import type { Clock, StreamSocket, StreamSocketOptions, TimerHandle } from '../../src/ports';

export interface FuzzReport {
  inputs: number;
  /** What the inputs reached, so a run can show it exercised the session and not only the decoder. */
  reached: {
    connects: number;
    protocolErrors: number;
    timeouts: number;
    publishesCompleted: number;
    messagesDelivered: number;
    refusedConnections: number;
    transportFailures: number;
  };
}

export class FuzzFailure extends Error {
  readonly code = 'FUZZ_INVARIANT';
}

/** xorshift32: fast, seeded, good enough to pick bytes and branches. */
class Random {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let x = this.#state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#state = x >>> 0;
    return this.#state;
  }
  /** An integer in [0, n). */
  below(n: number): number {
    return this.next() % n;
  }
  chance(percent: number): boolean {
    return this.next() % 100 < percent;
  }
}

/** A clock whose time moves only when the fuzzer says; the client holds at most one timer. */
class FuzzClock implements Clock {
  nowMs = 1_800_000_000_000;
  #timers: { at: number; callback: () => void; live: boolean }[] = [];
  now(): number {
    return this.nowMs;
  }
  setTimer(callback: () => void, delayMs: number): TimerHandle {
    const timer = { at: this.nowMs + Math.max(0, delayMs), callback, live: true };
    this.#timers.push(timer);
    return timer;
  }
  setRepeatingTimer(): TimerHandle {
    throw new Error('the MQTT client sets no repeating timer');
  }
  clearTimer(handle: TimerHandle): void {
    (handle as { live: boolean }).live = false;
  }
  /** Moves time forward by `ms`, firing due timers in order. */
  advance(ms: number): void {
    const end = this.nowMs + ms;
    for (;;) {
      let next: { at: number; callback: () => void; live: boolean } | undefined;
      for (const t of this.#timers) if (t.live && t.at <= end && (!next || t.at < next.at)) next = t;
      if (!next) break;
      next.live = false;
      this.nowMs = Math.max(this.nowMs, next.at);
      next.callback();
    }
    this.nowMs = end;
    if (this.#timers.length > 8) this.#timers = this.#timers.filter((t) => t.live);
  }
  /** When the next live timer is due, or Infinity. */
  get nextAt(): number {
    let at = Infinity;
    for (const t of this.#timers) if (t.live && t.at < at) at = t.at;
    return at;
  }
}

/** The broker's end of one connection: what it sends is read by the client in the chunks we choose. */
class FuzzSocket implements StreamSocket {
  readonly options: StreamSocketOptions;
  inbox: Uint8Array[] = [];
  opened = false;
  closed = false;
  written = 0;
  constructor(options: StreamSocketOptions) {
    this.options = options;
  }
  read(): Uint8Array | undefined {
    return this.inbox.shift();
  }
  /** Packet ids of the client's last PUBLISH, PUBREL, SUBSCRIBE and UNSUBSCRIBE: what a broker would answer. */
  readonly sentIds: number[] = [];
  /** The answers a correct broker owes, oldest first: answer type << 16 | packet id, plus (SUBACK) filters << 24. */
  readonly owed: number[] = [];
  write(bytes: Uint8Array, byteLength: number): void {
    if (this.closed) throw new FuzzFailure('the client wrote to a socket it had closed');
    this.written += byteLength;
    // Note the packet ids, reading the packets in place (the client writes whole packets here).
    let at = 0;
    while (at + 1 < byteLength) {
      const first = bytes[at];
      let remaining = 0;
      let p = at + 1;
      for (let shift = 0; p < byteLength && shift < 28; shift += 7) {
        const digit = bytes[p++];
        remaining += (digit & 0x7f) * 2 ** shift;
        if (digit < 0x80) break;
      }
      const type = first >> 4;
      let idAt = -1;
      let answer = 0;
      if (type === 3 && (first & 0x06) !== 0) {
        idAt = p + 2 + ((bytes[p] << 8) | bytes[p + 1]);
        answer = (first & 0x06) === 2 ? 4 : 5; // PUBACK or PUBREC
      } else if (type === 6 || type === 8 || type === 10) {
        idAt = p;
        answer = type === 6 ? 7 : type === 8 ? 9 : 11; // PUBCOMP, SUBACK, UNSUBACK
      }
      if (idAt >= 0 && idAt + 1 < byteLength) {
        const id = (bytes[idAt] << 8) | bytes[idAt + 1];
        if (this.sentIds.length >= 16) this.sentIds.shift();
        this.sentIds.push(id);
        let filters = 0;
        if (type === 8) for (let q = idAt + 2; q < p + remaining; q += 3 + ((bytes[q] << 8) | bytes[q + 1])) filters++;
        if (this.owed.length >= 32) this.owed.shift();
        this.owed.push((filters * 2 ** 24) + (answer << 16) + id);
      }
      at = p + remaining;
    }
  }
  close(): void {
    this.closed = true;
  }
}

const PAYLOAD = new Uint8Array(40).fill(0x61);
/** Accepted (session present or not), then refused with return codes 1 to 5. */
const CONNACKS = [[0, 0], [1, 0], [0, 1], [0, 2], [0, 3], [0, 4], [0, 5]].map(([flags, code]) => Uint8Array.of(0x20, 2, flags, code));
const TOPICS = ['sensor1/altitude', 'sensor1/telemetry', 'sensor1/emergency'];
const INCOMING_TOPICS = ['sensor1/cmd/ping', 'a', 'x/y/z', 'a/+/b', '#', '', 'é/ü'].map((t) => new TextEncoder().encode(t));
/** SUBSCRIBE/UNSUBSCRIBE requests the fuzzing application leaves unanswered at most. */
const MAX_APP_REQUESTS = 8;
/** A broker answering faster than this after a reconnect is fine; the fuzzer waits at most this. */
const MAX_WAIT_MS = 120_000;

interface Harness {
  client: MqttClient;
  clock: FuzzClock;
  sockets: FuzzSocket[];
  window: number;
  /** QoS 1/2 tokens published and not yet completed. */
  held: Set<number>;
  /** Set while client.publish runs at QoS 0: its completion comes inside the call. */
  qos0Token: boolean;
}

export interface FuzzOptions {
  seed?: number;
  /** Stop after this many inputs … */
  inputs?: number;
  /** … or at this time (Date.now() ms), whichever comes first. */
  deadlineMs?: number;
  /** Keep stack traces on errors (slower; for replaying a failure). */
  stacks?: boolean;
}

export function runSessionFuzz(options: FuzzOptions = {}): FuzzReport {
  const seed = options.seed ?? 1;
  const random = new Random(seed);
  const limit = options.inputs ?? Infinity;
  const deadline = options.deadlineMs ?? Infinity;
  const report: FuzzReport = {
    inputs: 0,
    reached: { connects: 0, protocolErrors: 0, timeouts: 0, publishesCompleted: 0, messagesDelivered: 0, refusedConnections: 0, transportFailures: 0 },
  };
  const scratch = new Uint8Array(8192);
  let harness = newHarness(random, report);
  // Most inputs end in a ProtocolError by design; capturing a stack for each would cost more than
  // the client's own work. A failure is re-run with stacks (see npm run fuzz).
  const stackTraceLimit = Error.stackTraceLimit;
  if (!options.stacks) Error.stackTraceLimit = 0;
  try {
    while (report.inputs < limit && ((report.inputs & 255) !== 0 || Date.now() < deadline)) {
      if (report.inputs % 4096 === 4095) {
        harness.client.end();
        harness = newHarness(random, report);
      }
      try {
        oneInput(harness, random, scratch, report);
      } catch (error) {
        const what = error instanceof FuzzFailure ? error.message : `an exception escaped the client: ${(error as Error).stack ?? error}`;
        throw new FuzzFailure(`input ${report.inputs} (seed ${seed}): ${what}`);
      }
      report.inputs++;
    }
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  harness.client.end();
  return report;
}

function newHarness(random: Random, report: FuzzReport): Harness {
  const clock = new FuzzClock();
  const sockets: FuzzSocket[] = [];
  const window = 1 + random.below(6);
  const client = new MqttClient(
    {
      host: 'broker',
      port: 1883,
      clientId: 'fuzz',
      cleanSession: random.chance(50),
      keepaliveS: random.chance(20) ? 0 : 5 + random.below(60),
      maxInflight: window,
      maxPacketBytes: 256 + random.below(4096),
      reconnect: { minDelayMs: 100, maxDelayMs: 5000, jitter: 0.5 },
      random: () => random.below(1000) / 1000,
    },
    {
      clock,
      socket: (socketOptions) => {
        const socket = new FuzzSocket(socketOptions);
        sockets.push(socket);
        return socket;
      },
    },
  );
  const harness: Harness = { client, clock, sockets, window, held: new Set(), qos0Token: false };
  client.on('published', (token) => {
    if (harness.qos0Token) return;
    if (!harness.held.delete(token)) throw new FuzzFailure(`token ${token} completed, but it was not in flight (twice, or never published)`);
    report.reached.publishesCompleted++;
  });
  client.on('connect', () => report.reached.connects++);
  client.on('message', () => report.reached.messagesDelivered++);
  client.on('error', (error) => {
    const code = (error as Error & { code?: string }).code ?? '';
    if (code.endsWith('TIMEOUT')) report.reached.timeouts++;
    else if (code === 'CONNECTION_REFUSED') report.reached.refusedConnections++;
    else report.reached.protocolErrors++;
  });
  client.on('disconnect', (error) => {
    if (error && /lost/.test(error.message)) report.reached.transportFailures++;
  });
  client.connect();
  return harness;
}

function current(h: Harness): FuzzSocket | undefined {
  const socket = h.sockets[h.sockets.length - 1];
  return socket && !socket.closed ? socket : undefined;
}

/** Gets the client to a connection attempt with CONNECT written (or a refusal), as a broker would. */
function connect(h: Harness, random: Random, scratch: Uint8Array): void {
  for (let attempt = 0; attempt < 3 && !h.client.connected; attempt++) {
    let socket = current(h);
    if (!socket) {
      const at = h.clock.nextAt;
      if (at === Infinity) return; // ended
      h.clock.advance(Math.min(MAX_WAIT_MS, Math.max(0, at - h.clock.nowMs)));
      socket = current(h);
      if (!socket) continue;
    }
    if (!socket.opened) {
      if (random.chance(5)) {
        socket.closed = true;
        socket.options.onError('connection refused');
        continue;
      }
      socket.opened = true;
      socket.options.onWritable(1 << 20);
    }
    // CONNACK: mostly accepted; sometimes refused, malformed, or missing (the connect timeout).
    const roll = random.below(100);
    if (roll < 80) deliver(socket, CONNACKS[random.below(2)]);
    else if (roll < 85) deliver(socket, CONNACKS[2 + random.below(5)]);
    else if (roll < 95) deliver(socket, scratch.subarray(0, writePackets(random, scratch, h, 1 + random.below(3), true)));
    else h.clock.advance(random.below(20_000));
  }
}

function keepaliveMs(h: Harness): number {
  return h.client.session.options.keepaliveS * 1000;
}

function deliver(socket: FuzzSocket, bytes: Uint8Array): void {
  if (socket.closed) return;
  socket.inbox.push(bytes);
  socket.options.onReadable(bytes.length);
}

function oneInput(h: Harness, random: Random, scratch: Uint8Array, report: FuzzReport): void {
  const client = h.client;
  connect(h, random, scratch);
  // The application: publishes at every QoS (accepted only when there is room) and subscribes.
  const actions = random.below(4);
  for (let i = 0; i < actions; i++) act(h, random);
  // The broker's answer: a stream of packets, some mutated, truncated anywhere, in random chunks.
  const socket = current(h);
  if (socket && socket.opened) {
    // Most streams are well-formed, if out of order (the connection usually survives them); the
    // rest are hostile: anything, mutated, truncated.
    const hostile = random.chance(30);
    let length = writePackets(random, scratch, h, 1 + random.below(8), hostile);
    if (hostile) length = mutate(random, scratch, length);
    let offset = 0;
    while (offset < length && !socket.closed) {
      const size = random.chance(30) ? 1 : 1 + random.below(length - offset);
      // A view: the client reads it at once (onReadable) and keeps no view past its next read.
      deliver(socket, scratch.subarray(offset, offset + size));
      offset += size;
      if (random.chance(10)) h.clock.advance(random.below(keepaliveMs(h) + 1000));
      if (random.chance(10)) act(h, random);
    }
    // Sometimes the connection ends: the broker closes it, or the network fails.
    if (!socket.closed && random.chance(10)) {
      socket.closed = true;
      socket.options.onError(random.chance(50) ? 'closed by the peer' : 'network unreachable');
    }
  }
  if (random.chance(5)) h.clock.advance(random.below(2 * keepaliveMs(h) + 1000));
  check(h, report);
  void client;
}

function act(h: Harness, random: Random): void {
  const client = h.client;
  const roll = random.below(10);
  if (roll < 7) {
    const qos = random.below(3) as QoS;
    if (!client.canPublish(qos)) return;
    const topic = TOPICS[random.below(TOPICS.length)];
    const payload = PAYLOAD.subarray(0, random.below(40)); // the session only keeps a reference
    if (qos === 0) {
      h.qos0Token = true;
      client.publish(topic, payload, 0);
      h.qos0Token = false;
    } else {
      h.held.add(client.publish(topic, payload, qos, random.chance(10)));
    }
  } else {
    // Like an application, it does not pile up requests the broker has not answered.
    const held = client.session.footprint();
    if (held.pendingRequests + held.unsentRequests >= MAX_APP_REQUESTS) return;
    if (roll < 9) client.subscribe(`sensor1/cmd/${random.below(3)}`, random.below(3) as QoS);
    else client.unsubscribe(`sensor1/cmd/${random.below(3)}`);
  }
}

/** The invariants that must hold whatever the broker sent. */
function check(h: Harness, report: FuzzReport): void {
  const session = h.client.session;
  const held = session.footprint();
  if (held.inflight !== h.held.size) {
    throw new FuzzFailure(`the session holds ${held.inflight} publishes in flight, but ${h.held.size} were published and not completed`);
  }
  if (held.inflight > h.window) throw new FuzzFailure(`${held.inflight} publishes in flight with a window of ${h.window}`);
  if (held.incomingQos2 > 64) throw new FuzzFailure(`${held.incomingQos2} incoming QoS 2 ids held`);
  if (held.decoderBytes > session.options.maxPacketBytes) throw new FuzzFailure(`the decoder holds ${held.decoderBytes} bytes`);
  if (held.txBufferBytes > 64 * 1024) throw new FuzzFailure(`the output buffer grew to ${held.txBufferBytes} bytes`);
  if (held.pendingRequests + held.unsentRequests > MAX_APP_REQUESTS + 1) {
    // The application's unanswered requests, and at most one of the session's own (restoring subscriptions).
    throw new FuzzFailure(`${held.pendingRequests + held.unsentRequests} subscribe requests held`);
  }
  void report;
}

// ---- the hostile broker's packets ----------------------------------------------------------

/** Writes `count` packets a broker might (or must never) send into `out`; returns the length. */
function writePackets(random: Random, out: Uint8Array, h: Harness, count: number, hostile: boolean): number {
  let at = 0;
  for (let i = 0; i < count && at < out.length - 600; i++) at = writePacket(random, out, at, h, hostile ? 100 : 80);
  return at;
}

function packetId(random: Random, h: Harness): number {
  const roll = random.below(100);
  const sent = current(h)?.sentIds;
  if (roll < 40 && sent && sent.length > 0) return sent[random.below(sent.length)]; // what the client sent (answers it may expect)
  if (roll < 70) return 1 + random.below(h.window + 1); // in-flight slots (and one beyond)
  if (roll < 88) return h.window + 1 + random.below(4); // SUBSCRIBE/UNSUBSCRIBE ids
  if (roll < 90) return 0; // never valid
  return random.below(65536);
}

/** Packet kinds below `range` (80: well-formed ones a broker may send; 100: anything). */
function writePacket(random: Random, out: Uint8Array, at: number, h: Harness, range: number): number {
  const owed = current(h)?.owed;
  if (owed && owed.length > 0 && random.chance(range === 80 ? 70 : 20)) {
    // What a correct broker answers, mostly in order, sometimes twice or out of order.
    const index = random.chance(80) ? 0 : random.below(owed.length);
    const answer = owed[index];
    if (random.chance(90)) owed.copyWithin(index, index + 1).pop(); // answered (else: it will be again)
    const type = (answer >>> 16) & 0xff;
    const filters = Math.floor(answer / 2 ** 24);
    const length = type === 9 ? 2 + filters : 2;
    out[at] = type << 4;
    out[at + 1] = length;
    out[at + 2] = (answer >> 8) & 0xff;
    out[at + 3] = answer & 0xff;
    for (let i = 0; i < length - 2; i++) out[at + 4 + i] = random.below(3);
    return at + 2 + length;
  }
  const roll = random.below(range);
  if (roll < 40) {
    // An acknowledgement: PUBACK, PUBREC, PUBREL (PUBREL flags 0b0010, sometimes wrong), PUBCOMP, UNSUBACK.
    const type = [4, 5, 6, 7, 11][random.below(5)];
    const id = packetId(random, h);
    out[at] = (type << 4) | (type === 6 && (range === 80 || !random.chance(5)) ? 2 : 0);
    out[at + 1] = 2;
    out[at + 2] = id >> 8;
    out[at + 3] = id & 0xff;
    return at + 4;
  }
  if (roll < 50) {
    // SUBACK with 1-3 return codes (some invalid)
    const codes = 1 + random.below(3);
    const id = packetId(random, h);
    out[at] = 0x90;
    out[at + 1] = 2 + codes;
    out[at + 2] = id >> 8;
    out[at + 3] = id & 0xff;
    for (let i = 0; i < codes; i++) out[at + 4 + i] = random.chance(90) ? random.below(3) : range === 80 || random.chance(50) ? 0x80 : random.below(256);
    return at + 4 + codes;
  }
  if (roll < 58) {
    out[at] = 0xd0; // PINGRESP
    out[at + 1] = 0;
    return at + 2;
  }
  if (roll < 80) {
    // PUBLISH at QoS 0-2 (sometimes 3), DUP and RETAIN at random, topics valid and not.
    const qos = range === 80 || random.chance(97) ? random.below(3) : 3;
    const dup = qos > 0 && random.chance(20) ? 8 : 0;
    const topicBytes = INCOMING_TOPICS[random.below(range === 80 ? 3 : INCOMING_TOPICS.length)]; // the first three are valid
    const payloadLength = random.below(48);
    const remaining = 2 + topicBytes.length + (qos > 0 ? 2 : 0) + payloadLength;
    out[at] = 0x30 | dup | (qos << 1) | random.below(2);
    out[at + 1] = remaining;
    out[at + 2] = 0;
    out[at + 3] = topicBytes.length;
    out.set(topicBytes, at + 4);
    let p = at + 4 + topicBytes.length;
    if (qos > 0) {
      const id = random.chance(80) ? 1 + random.below(8) : packetId(random, h);
      out[p] = id >> 8;
      out[p + 1] = id & 0xff;
      p += 2;
    }
    for (let i = 0; i < payloadLength; i++) out[p + i] = random.below(256);
    return p + payloadLength;
  }
  if (roll < 84) {
    // CONNACK out of order (a second one), sometimes refusing, sometimes with bad flags.
    out[at] = 0x20;
    out[at + 1] = 2;
    out[at + 2] = random.below(4);
    out[at + 3] = random.chance(80) ? 0 : random.below(7);
    return at + 4;
  }
  if (roll < 88) {
    // A huge remaining length (up to MQTT's 268,435,455, or a fifth length byte) and nothing after it.
    out[at] = [0x30, 0x40, 0x90, 0xd0][random.below(4)];
    const bytes = 1 + random.below(5);
    for (let i = 0; i < bytes; i++) out[at + 1 + i] = i < bytes - 1 ? 0x80 | random.below(128) : random.below(128) | (bytes === 5 ? 0x80 : 0);
    return at + 1 + bytes;
  }
  if (roll < 92) {
    // A packet only a client sends (CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ, DISCONNECT) or a reserved type.
    out[at] = [0x10, 0x82, 0xa2, 0xc0, 0xe0, 0x00, 0xf0][random.below(7)];
    out[at + 1] = 0;
    return at + 2;
  }
  // Random bytes.
  const length = 1 + random.below(24);
  for (let i = 0; i < length; i++) out[at + i] = random.below(256);
  return at + length;
}

/** Sometimes flips, overwrites or drops bytes, or cuts the stream at any byte. */
function mutate(random: Random, bytes: Uint8Array, length: number): number {
  if (length === 0 || random.chance(60)) return length;
  const kind = random.below(3);
  if (kind === 0) bytes[random.below(length)] ^= 1 << random.below(8);
  else if (kind === 1) bytes[random.below(length)] = random.below(256);
  else return random.below(length); // truncated: the rest never comes (or comes as the next packet's start)
  return length;
}
