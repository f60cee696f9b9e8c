// Streaming decoder for MQTT 3.1.1. It accepts input split at any byte and many packets per chunk,
// parses complete packets straight out of the chunk (PUBLISH payloads are views, not copies), and
// holds at most one partial packet, never more than `maxPacketBytes`. Every malformed input ends in
// a ProtocolError naming the rule it broke; nothing else is thrown.
import { ProtocolError } from './errors';
import {
  MAX_REMAINING_LENGTH,
  type AckPacket,
  type Packet,
  type QoS,
  type Subscription,
  type Will,
} from './packets';
import { topicFilterProblem, topicNameProblem } from './topic';
import { readUtf8 } from './utf8';

export interface DecoderOptions {
  /** Largest whole packet (fixed header included) accepted; larger ones are a ProtocolError. */
  maxPacketBytes?: number;
}

const ACK_TYPES: Record<number, AckPacket['type']> = { 4: 'puback', 5: 'pubrec', 6: 'pubrel', 7: 'pubcomp', 11: 'unsuback' };
const ACK_NAMES: Record<number, string> = { 4: 'PUBACK', 5: 'PUBREC', 6: 'PUBREL', 7: 'PUBCOMP', 11: 'UNSUBACK' };

const PUBACK_FIRST_BYTE = 0x40; // type 4, flags 0

/** Packet types whose whole body is a packet identifier. */
export function isAckType(type: number): boolean {
  return (type >= 4 && type <= 7) || type === 11;
}

/** Called for PUBACK, PUBREC, PUBREL, PUBCOMP and UNSUBACK instead of building a packet object. */
export type AckHandler = (type: number, packetId: number) => void;

/** Cursor over one packet's variable header and payload. */
class Reader {
  bytes: Uint8Array = new Uint8Array(0);
  offset = 0;
  end = 0;
  packetName = '';

  reset(bytes: Uint8Array, offset: number, end: number, packetName: string): void {
    this.bytes = bytes;
    this.offset = offset;
    this.end = end;
    this.packetName = packetName;
  }
  get remaining(): number {
    return this.end - this.offset;
  }
  need(count: number, field: string): void {
    if (this.end - this.offset < count) {
      throw new ProtocolError('TRUNCATED_PACKET', 'MQTT-2.2.3', `${this.packetName} ends inside its ${field}`);
    }
  }
  byte(field: string): number {
    this.need(1, field);
    return this.bytes[this.offset++];
  }
  uint16(field: string): number {
    this.need(2, field);
    const value = (this.bytes[this.offset] << 8) | this.bytes[this.offset + 1];
    this.offset += 2;
    return value;
  }
  packetId(): number {
    const id = this.uint16('packet identifier');
    if (id === 0) throw new ProtocolError('ZERO_PACKET_ID', 'MQTT-2.3.1-1', `${this.packetName} has packet identifier 0`);
    return id;
  }
  string(field: string): string {
    const length = this.uint16(`${field} length`);
    this.need(length, field);
    const text = readUtf8(this.bytes, this.offset, length, `the ${field} of ${this.packetName}`);
    this.offset += length;
    return text;
  }
  binary(field: string): Uint8Array {
    const length = this.uint16(`${field} length`);
    this.need(length, field);
    const view = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return view;
  }
  done(): void {
    if (this.offset !== this.end) {
      throw new ProtocolError('TRAILING_BYTES', 'MQTT-2.2.3', `${this.packetName} has ${this.end - this.offset} bytes beyond its fields`);
    }
  }
}

function flagsMustBe(first: number, expected: number, name: string, rule: string): void {
  if ((first & 0x0f) !== expected) {
    throw new ProtocolError(
      'INVALID_FLAGS',
      rule,
      `${name} has fixed-header flags 0b${(first & 0x0f).toString(2).padStart(4, '0')}; they must be 0b${expected.toString(2).padStart(4, '0')}`,
    );
  }
}

function decodeConnect(r: Reader): Packet {
  const protocol = r.string('protocol name');
  if (protocol !== 'MQTT') {
    throw new ProtocolError('INVALID_PROTOCOL_NAME', 'MQTT-3.1.2-1', `CONNECT names protocol ${JSON.stringify(protocol)}, not "MQTT"`);
  }
  const level = r.byte('protocol level');
  if (level !== 4) {
    throw new ProtocolError('UNSUPPORTED_PROTOCOL_LEVEL', 'MQTT-3.1.2-2', `CONNECT asks for protocol level ${level}; 3.1.1 is level 4`);
  }
  const flags = r.byte('connect flags');
  if (flags & 0x01) throw new ProtocolError('INVALID_FLAGS', 'MQTT-3.1.2-3', 'CONNECT sets the reserved flag bit 0');
  const hasWill = (flags & 0x04) !== 0;
  const willQos = (flags >> 3) & 0x03;
  const willRetain = (flags & 0x20) !== 0;
  if (!hasWill && (willQos !== 0 || willRetain)) {
    throw new ProtocolError('INVALID_FLAGS', 'MQTT-3.1.2-11', 'CONNECT sets will QoS or will retain without a will');
  }
  if (willQos === 3) throw new ProtocolError('INVALID_QOS', 'MQTT-3.1.2-14', 'CONNECT asks for will QoS 3');
  const hasUsername = (flags & 0x80) !== 0;
  const hasPassword = (flags & 0x40) !== 0;
  if (hasPassword && !hasUsername) {
    throw new ProtocolError('PASSWORD_WITHOUT_USERNAME', 'MQTT-3.1.2-22', 'CONNECT has a password but no user name');
  }
  const keepaliveS = r.uint16('keep alive');
  const clientId = r.string('client identifier');
  let will: Will | undefined;
  if (hasWill) {
    const topic = r.string('will topic');
    const problem = topicNameProblem(topic);
    if (problem) throw new ProtocolError('INVALID_TOPIC', 'MQTT-3.1.3-10', `CONNECT will topic: ${problem}`);
    will = { topic, payload: r.binary('will message'), qos: willQos as QoS, retain: willRetain };
  }
  const username = hasUsername ? r.string('user name') : undefined;
  const password = hasPassword ? r.binary('password') : undefined;
  r.done();
  const packet: Packet = { type: 'connect', clientId, cleanSession: (flags & 0x02) !== 0, keepaliveS };
  if (will) packet.will = will;
  if (username !== undefined) packet.username = username;
  if (password !== undefined) packet.password = password;
  return packet;
}

function decodePublish(r: Reader, first: number): Packet {
  const qos = (first >> 1) & 0x03;
  const dup = (first & 0x08) !== 0;
  if (qos === 3) throw new ProtocolError('INVALID_QOS', 'MQTT-3.3.1-4', 'PUBLISH has both QoS bits set (QoS 3)');
  if (qos === 0 && dup) throw new ProtocolError('INVALID_FLAGS', 'MQTT-3.3.1-2', 'PUBLISH with QoS 0 sets DUP');
  // Check the topic on its bytes (no wildcards, not empty) before decoding it: cheaper than a pass
  // over the decoded string, and UTF-8 never encodes '+' or '#' inside another character.
  const start = r.offset + 2;
  const topic = r.string('topic name');
  if (topic.length === 0) throw new ProtocolError('INVALID_TOPIC', 'MQTT-3.3.2-2', 'PUBLISH topic: a topic name must be at least one character long [MQTT-4.7.3-1]');
  for (let i = start; i < r.offset; i++) {
    const byte = r.bytes[i];
    if (byte === 0x2b || byte === 0x23) {
      throw new ProtocolError('INVALID_TOPIC', 'MQTT-3.3.2-2', 'PUBLISH topic: a topic name must not contain the wildcards + or # [MQTT-3.3.2-2]');
    }
  }
  const packetId = qos > 0 ? r.packetId() : undefined;
  const payload = r.bytes.subarray(r.offset, r.end);
  r.offset = r.end;
  const packet: Packet = { type: 'publish', topic, payload, qos: qos as QoS, retain: (first & 0x01) !== 0, dup };
  if (packetId !== undefined) packet.packetId = packetId;
  return packet;
}

function decodeSubscribe(r: Reader): Packet {
  const packetId = r.packetId();
  const subscriptions: Subscription[] = [];
  while (r.remaining > 0) {
    const filter = r.string('topic filter');
    const problem = topicFilterProblem(filter);
    if (problem) throw new ProtocolError('INVALID_TOPIC_FILTER', 'MQTT-4.7.1-1', `SUBSCRIBE filter: ${problem}`);
    const qos = r.byte('requested QoS');
    if (qos > 2) throw new ProtocolError('INVALID_QOS', 'MQTT-3.8.3-4', `SUBSCRIBE requests QoS byte 0x${qos.toString(16)}`);
    subscriptions.push({ filter, qos: qos as QoS });
  }
  if (subscriptions.length === 0) throw new ProtocolError('EMPTY_SUBSCRIBE', 'MQTT-3.8.3-3', 'SUBSCRIBE has no topic filter');
  return { type: 'subscribe', packetId, subscriptions };
}

function decodeSuback(r: Reader): Packet {
  const packetId = r.packetId();
  const granted: number[] = [];
  while (r.remaining > 0) {
    const code = r.byte('return code');
    if (code > 2 && code !== 0x80) {
      throw new ProtocolError('INVALID_SUBACK_CODE', 'MQTT-3.9.3-2', `SUBACK return code 0x${code.toString(16)} is not 0, 1, 2 or 0x80`);
    }
    granted.push(code);
  }
  if (granted.length === 0) throw new ProtocolError('EMPTY_SUBACK', 'MQTT-3.9.3-1', 'SUBACK has no return code');
  return { type: 'suback', packetId, granted };
}

function decodeUnsubscribe(r: Reader): Packet {
  const packetId = r.packetId();
  const filters: string[] = [];
  while (r.remaining > 0) {
    const filter = r.string('topic filter');
    const problem = topicFilterProblem(filter);
    if (problem) throw new ProtocolError('INVALID_TOPIC_FILTER', 'MQTT-4.7.1-1', `UNSUBSCRIBE filter: ${problem}`);
    filters.push(filter);
  }
  if (filters.length === 0) throw new ProtocolError('EMPTY_UNSUBSCRIBE', 'MQTT-3.10.3-2', 'UNSUBSCRIBE has no topic filter');
  return { type: 'unsubscribe', packetId, filters };
}

/** Validates an acknowledgement packet and returns its packet identifier. */
function decodeAck(r: Reader, first: number, bytes: Uint8Array, bodyStart: number, bodyEnd: number): number {
  const type = first >> 4;
  const name = ACK_NAMES[type];
  flagsMustBe(first, type === 6 ? 2 : 0, name, type === 6 ? 'MQTT-3.6.1-1' : 'MQTT-2.2.2-2');
  r.reset(bytes, bodyStart, bodyEnd, name);
  const packetId = r.packetId();
  r.done();
  return packetId;
}

/** Decodes one whole packet whose body is bytes[bodyStart, bodyEnd). */
function decodeBody(r: Reader, first: number, bytes: Uint8Array, bodyStart: number, bodyEnd: number): Packet {
  const type = first >> 4;
  switch (type) {
    case 1:
      flagsMustBe(first, 0, 'CONNECT', 'MQTT-2.2.2-2');
      r.reset(bytes, bodyStart, bodyEnd, 'CONNECT');
      return decodeConnect(r);
    case 2: {
      flagsMustBe(first, 0, 'CONNACK', 'MQTT-2.2.2-2');
      r.reset(bytes, bodyStart, bodyEnd, 'CONNACK');
      const ackFlags = r.byte('acknowledge flags');
      const returnCode = r.byte('return code');
      r.done();
      if (ackFlags & 0xfe) throw new ProtocolError('INVALID_FLAGS', 'MQTT-3.2.2', 'CONNACK sets reserved acknowledge flags');
      if (returnCode > 5) throw new ProtocolError('INVALID_RETURN_CODE', 'MQTT-3.2.2.3', `CONNACK return code ${returnCode} is not 0 to 5`);
      if (returnCode !== 0 && ackFlags & 1) {
        throw new ProtocolError('INVALID_FLAGS', 'MQTT-3.2.2-4', 'CONNACK refuses the connection but sets session present');
      }
      return { type: 'connack', sessionPresent: (ackFlags & 1) === 1, returnCode };
    }
    case 3:
      r.reset(bytes, bodyStart, bodyEnd, 'PUBLISH');
      return decodePublish(r, first);
    case 4:
    case 5:
    case 6:
    case 7:
    case 11:
      return { type: ACK_TYPES[type], packetId: decodeAck(r, first, bytes, bodyStart, bodyEnd) };
    case 8:
      flagsMustBe(first, 2, 'SUBSCRIBE', 'MQTT-3.8.1-1');
      r.reset(bytes, bodyStart, bodyEnd, 'SUBSCRIBE');
      return decodeSubscribe(r);
    case 9:
      flagsMustBe(first, 0, 'SUBACK', 'MQTT-2.2.2-2');
      r.reset(bytes, bodyStart, bodyEnd, 'SUBACK');
      return decodeSuback(r);
    case 10:
      flagsMustBe(first, 2, 'UNSUBSCRIBE', 'MQTT-3.10.1-1');
      r.reset(bytes, bodyStart, bodyEnd, 'UNSUBSCRIBE');
      return decodeUnsubscribe(r);
    case 12:
    case 13:
    case 14: {
      const name = type === 12 ? 'pingreq' : type === 13 ? 'pingresp' : 'disconnect';
      flagsMustBe(first, 0, name.toUpperCase(), 'MQTT-2.2.2-2');
      if (bodyEnd !== bodyStart) {
        throw new ProtocolError('TRAILING_BYTES', 'MQTT-2.2.3', `${name.toUpperCase()} must have remaining length 0`);
      }
      return { type: name };
    }
    default:
      throw new ProtocolError('RESERVED_PACKET_TYPE', 'MQTT-2.2.1', `packet type ${type} is reserved`);
  }
}

export class PacketDecoder {
  readonly maxPacketBytes: number;
  readonly #reader = new Reader();
  /** Fixed header of a packet split across chunks (1 type byte + up to 4 length bytes). */
  readonly #header = new Uint8Array(5);
  #headerLength = 0;
  /** The partial packet being assembled, sized exactly for it. */
  #partial: Uint8Array | undefined;
  #partialFilled = 0;

  constructor(options: DecoderOptions = {}) {
    this.maxPacketBytes = options.maxPacketBytes ?? MAX_REMAINING_LENGTH + 5;
  }

  /** Bytes held for a packet not yet complete. */
  get bufferedBytes(): number {
    return this.#partial ? this.#partialFilled : this.#headerLength;
  }

  /**
   * The packet id when `chunk` is exactly one whole, well-formed PUBACK and no partial packet is
   * held, else 0; it consumes nothing. The common chunk of a QoS 1 publisher: its receiver can act on
   * it without a callback (see MqttSession.receive). Anything else goes to push().
   */
  wholePuback(chunk: Uint8Array): number {
    if (chunk.length !== 4 || chunk[0] !== PUBACK_FIRST_BYTE || chunk[1] !== 2 || this.#headerLength !== 0 || this.#partial !== undefined) return 0;
    return (chunk[2] << 8) | chunk[3]; // 0 is no packet id: push() names that fault
  }

  /** Forgets any partial packet (after a connection is closed). */
  reset(): void {
    this.#headerLength = 0;
    this.#partial = undefined;
    this.#partialFilled = 0;
  }

  /**
   * Feeds received bytes and calls `onPacket` for every complete packet, in order. With `onAck`,
   * acknowledgements go there as (type, packet id) and build no object: the hot path of a QoS 1
   * publisher allocates nothing. On malformed input it throws a ProtocolError; the stream cannot be
   * resynchronised, so the caller closes the connection and calls reset().
   */
  push(chunk: Uint8Array, onPacket: (packet: Packet) => void, onAck?: AckHandler): void {
    let offset = 0;
    const end = chunk.length;
    while (offset < end) {
      if (this.#partial) {
        const take = Math.min(end - offset, this.#partial.length - this.#partialFilled);
        this.#partial.set(chunk.subarray(offset, offset + take), this.#partialFilled);
        this.#partialFilled += take;
        offset += take;
        if (this.#partialFilled < this.#partial.length) return;
        const whole = this.#partial;
        this.#partial = undefined;
        this.#deliver(whole, this.#headerLength, whole.length, onPacket, onAck);
        this.#headerLength = 0;
        continue;
      }
      if (this.#headerLength === 0) {
        // Fastest path: a whole, well-formed acknowledgement (type, length 2, packet id) goes to
        // onAck straight from the bytes. A malformed one takes the general path, which names its fault.
        if (onAck !== undefined && end - offset >= 4 && chunk[offset + 1] === 2) {
          const first = chunk[offset];
          const type = first >> 4;
          const packetId = (chunk[offset + 2] << 8) | chunk[offset + 3];
          if (((type >= 4 && type <= 7) || type === 11) && (first & 0x0f) === (type === 6 ? 2 : 0) && packetId !== 0) {
            onAck(type, packetId);
            offset += 4;
            continue;
          }
        }
        // Fast path: a whole packet in the chunk is decoded in place.
        const parsed = this.#parseFixedHeader(chunk, offset, end);
        if (parsed >= 0) {
          const bodyStart = offset + this.#lengthBytes + 1;
          const bodyEnd = bodyStart + this.#remaining;
          if (bodyEnd <= end) {
            this.#deliver(chunk, bodyStart, bodyEnd, onPacket, onAck, offset);
            offset = bodyEnd;
            continue;
          }
        }
      }
      // Slow path: keep the header bytes until the length is known, then buffer the packet.
      while (offset < end && !this.#headerComplete()) this.#header[this.#headerLength++] = chunk[offset++];
      if (!this.#headerComplete()) return;
      this.#parseFixedHeader(this.#header, 0, this.#headerLength);
      const total = this.#headerLength + this.#remaining;
      this.#partial = new Uint8Array(total);
      this.#partial.set(this.#header.subarray(0, this.#headerLength), 0);
      this.#partialFilled = this.#headerLength;
      if (total === this.#headerLength) {
        const whole = this.#partial;
        this.#partial = undefined;
        this.#deliver(whole, this.#headerLength, total, onPacket, onAck);
        this.#headerLength = 0;
      }
    }
  }

  #deliver(bytes: Uint8Array, bodyStart: number, bodyEnd: number, onPacket: (p: Packet) => void, onAck: AckHandler | undefined, at = 0): void {
    const first = bytes[at];
    if (onAck && isAckType(first >> 4)) onAck(first >> 4, decodeAck(this.#reader, first, bytes, bodyStart, bodyEnd));
    else onPacket(decodeBody(this.#reader, first, bytes, bodyStart, bodyEnd));
  }

  #remaining = 0;
  #lengthBytes = 0;

  #headerComplete(): boolean {
    const n = this.#headerLength;
    if (n < 2) return false;
    if ((this.#header[n - 1] & 0x80) === 0) return true;
    if (n === 5) this.#parseFixedHeader(this.#header, 0, 5); // throws: a fifth continuation byte
    return false;
  }

  /**
   * Reads the fixed header at `offset`: sets #remaining and #lengthBytes and returns 0, or returns
   * -1 when the header is not complete in [offset, end). Throws on a malformed or oversized header.
   */
  #parseFixedHeader(bytes: Uint8Array, offset: number, end: number): number {
    const first = bytes[offset];
    const type = first >> 4;
    if (type === 0 || type === 15) {
      throw new ProtocolError('RESERVED_PACKET_TYPE', 'MQTT-2.2.1', `packet type ${type} is reserved`);
    }
    let value = 0;
    let multiplier = 1;
    for (let i = 1; i <= 4; i++) {
      if (offset + i >= end) return -1;
      const byte = bytes[offset + i];
      value += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) {
        if (value + i + 1 > this.maxPacketBytes) {
          throw new ProtocolError(
            'PACKET_TOO_LARGE',
            'MQTT-2.2.3',
            `a packet of ${value + i + 1} bytes exceeds this client's limit of ${this.maxPacketBytes}`,
          );
        }
        this.#remaining = value;
        this.#lengthBytes = i;
        return 0;
      }
      multiplier *= 128;
    }
    throw new ProtocolError('MALFORMED_REMAINING_LENGTH', 'MQTT-2.2.3', 'the remaining length runs past four bytes');
  }
}

/** Decodes exactly one packet from `bytes` (tools and tests); throws if bytes hold more or less. */
export function decodePacket(bytes: Uint8Array, options: DecoderOptions = {}): Packet {
  const decoder = new PacketDecoder(options);
  let packet: Packet | undefined;
  let count = 0;
  decoder.push(bytes, (p) => {
    packet = p;
    count++;
  });
  if (count !== 1 || decoder.bufferedBytes !== 0 || !packet) {
    throw new ProtocolError('TRUNCATED_PACKET', 'MQTT-2.2.3', `expected one whole packet, found ${count} and ${decoder.bufferedBytes} bytes left over`);
  }
  return packet;
}
