// Encoding of MQTT 3.1.1 packets into caller-provided buffers. `encodedLength` sizes a packet,
// `encodeInto` writes it; `encode` is the allocating convenience for tools and tests. The PUBLISH
// hot path (`encodeTopicField` once per topic, `publishRemainingLength` once per message, then
// `encodePublishInto`) takes its fields as arguments, so it builds no packet object at all.
import { UsageError } from './errors';
import { MAX_REMAINING_LENGTH, PacketType, type Packet, type QoS } from './packets';
import { utf8Length, writeUtf8 } from './utf8';

function stringLength(text: string, what: string): number {
  const length = utf8Length(text);
  if (length < 0) throw new UsageError('INVALID_STRING', `${what} is not valid UTF-16 text (lone surrogate)`);
  if (length > 65535) throw new UsageError('STRING_TOO_LONG', `${what} is ${length} bytes; MQTT strings are at most 65535`);
  return length;
}

function binaryLength(bytes: Uint8Array, what: string): number {
  if (bytes.length > 65535) throw new UsageError('BINARY_TOO_LONG', `${what} is ${bytes.length} bytes; at most 65535 fit`);
  return bytes.length;
}

function checkPacketId(packetId: number | undefined): number {
  if (packetId === undefined || !(packetId >= 1 && packetId <= 65535) || packetId % 1 !== 0) {
    throw new UsageError('INVALID_PACKET_ID', `packet identifier ${packetId} is not an integer from 1 to 65535 [MQTT-2.3.1-1]`);
  }
  return packetId;
}

function checkQos(qos: number): QoS {
  if (qos !== 0 && qos !== 1 && qos !== 2) throw new UsageError('INVALID_QOS', `QoS ${qos} is not 0, 1 or 2`);
  return qos;
}

/** Bytes used by the variable-length "remaining length" field for `length`. */
export function varintLength(length: number): number {
  if (length < 128) return 1;
  if (length < 16_384) return 2;
  if (length < 2_097_152) return 3;
  if (length <= MAX_REMAINING_LENGTH) return 4;
  throw new UsageError('PACKET_TOO_LARGE', `a packet body of ${length} bytes exceeds MQTT's limit of ${MAX_REMAINING_LENGTH}`);
}

function writeVarint(target: Uint8Array, offset: number, value: number): number {
  do {
    let byte = value % 128;
    value = (value - byte) / 128;
    if (value > 0) byte |= 0x80;
    target[offset++] = byte;
  } while (value > 0);
  return offset;
}

function writeUint16(target: Uint8Array, offset: number, value: number): number {
  target[offset] = value >> 8;
  target[offset + 1] = value & 0xff;
  return offset + 2;
}

function writeString(target: Uint8Array, offset: number, text: string, byteLength: number): number {
  offset = writeUint16(target, offset, byteLength);
  return writeUtf8(text, target, offset);
}

function writeBinary(target: Uint8Array, offset: number, bytes: Uint8Array): number {
  offset = writeUint16(target, offset, bytes.length);
  target.set(bytes, offset);
  return offset + bytes.length;
}

const PUBLISH_HEADER = PacketType.publish << 4;

/**
 * A PUBLISH topic name as it goes on the wire: its length in two bytes, then its UTF-8 bytes. A
 * publisher encodes it once per topic (TopicCache) and copies it into every packet.
 */
export function encodeTopicField(topic: string): Uint8Array {
  const length = stringLength(topic, 'the topic');
  const field = new Uint8Array(2 + length);
  writeString(field, 0, topic, length);
  return field;
}

/**
 * The remaining length of a PUBLISH (everything after the fixed header), computed once per message;
 * throws when the packet would exceed MQTT's limit.
 */
export function publishRemainingLength(topicFieldBytes: number, payloadBytes: number, qos: QoS): number {
  const remaining = topicFieldBytes + (qos === 0 ? 0 : 2) + payloadBytes;
  if (remaining > MAX_REMAINING_LENGTH) varintLength(remaining); // throws PACKET_TOO_LARGE
  return remaining;
}

/** Total bytes of a packet whose remaining length is `remaining`. */
export function packetLength(remaining: number): number {
  return 1 + varintLength(remaining) + remaining;
}

/**
 * Writes a PUBLISH at `offset` and returns the offset after it: the hot path, flat on purpose (XS
 * charges for every call and every argument). `flags` are the fixed header's low four bits (DUP 8,
 * QoS << 1, RETAIN 1); `remaining` comes from publishRemainingLength; `topicField` from
 * encodeTopicField. The packet id is written when the QoS is not 0.
 */
export function encodePublishInto(
  target: Uint8Array,
  offset: number,
  flags: number,
  remaining: number,
  topicField: Uint8Array,
  packetId: number,
  payload: Uint8Array,
): number {
  target[offset] = PUBLISH_HEADER | flags;
  if (remaining < 128) {
    target[offset + 1] = remaining;
    offset += 2;
  } else {
    offset = writeVarint(target, offset + 1, remaining);
  }
  target.set(topicField, offset);
  offset += topicField.length;
  if (flags & 0x06) {
    target[offset] = packetId >> 8;
    target[offset + 1] = packetId & 0xff;
    offset += 2;
  }
  target.set(payload, offset);
  return offset + payload.length;
}

/** The fixed header's low four bits of a PUBLISH. */
export function publishFlags(qos: QoS, retain: boolean, dup: boolean): number {
  return (dup ? 0x08 : 0) | (qos << 1) | (retain ? 0x01 : 0);
}

function bodyLength(packet: Packet): number {
  switch (packet.type) {
    case 'connect': {
      let length = 10 + 2 + stringLength(packet.clientId, 'the client identifier');
      if (packet.will) {
        length += 2 + stringLength(packet.will.topic, 'the will topic') + 2 + binaryLength(packet.will.payload, 'the will payload');
      }
      if (packet.username !== undefined) length += 2 + stringLength(packet.username, 'the user name');
      if (packet.password !== undefined) length += 2 + binaryLength(packet.password, 'the password');
      return length;
    }
    case 'connack':
      return 2;
    case 'publish':
      return 2 + stringLength(packet.topic, 'the topic') + (checkQos(packet.qos) > 0 ? 2 : 0) + packet.payload.length;
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
    case 'unsuback':
      return 2;
    case 'subscribe': {
      let length = 2;
      for (const subscription of packet.subscriptions) length += 2 + stringLength(subscription.filter, 'a topic filter') + 1;
      return length;
    }
    case 'suback':
      return 2 + packet.granted.length;
    case 'unsubscribe': {
      let length = 2;
      for (const filter of packet.filters) length += 2 + stringLength(filter, 'a topic filter');
      return length;
    }
    case 'pingreq':
    case 'pingresp':
    case 'disconnect':
      return 0;
  }
}

/** Total bytes `packet` takes on the wire. */
export function encodedLength(packet: Packet): number {
  const body = bodyLength(packet);
  return 1 + varintLength(body) + body;
}

/** Writes `packet` into `target` at `offset` and returns the offset after it. */
export function encodeInto(packet: Packet, target: Uint8Array, offset = 0): number {
  const body = bodyLength(packet);
  if (target.length - offset < 1 + varintLength(body) + body) {
    throw new UsageError('BUFFER_TOO_SMALL', `the packet needs ${1 + varintLength(body) + body} bytes; the buffer has ${target.length - offset}`);
  }
  switch (packet.type) {
    case 'connect': {
      const will = packet.will;
      if (packet.password !== undefined && packet.username === undefined) {
        throw new UsageError('PASSWORD_WITHOUT_USERNAME', 'a password needs a user name [MQTT-3.1.2-22]');
      }
      if (!(packet.keepaliveS >= 0 && packet.keepaliveS <= 65535)) {
        throw new UsageError('INVALID_KEEPALIVE', `keepalive ${packet.keepaliveS} s is not 0 to 65535`);
      }
      target[offset++] = PacketType.connect << 4;
      offset = writeVarint(target, offset, body);
      offset = writeString(target, offset, 'MQTT', 4);
      target[offset++] = 4; // protocol level 3.1.1 [MQTT-3.1.2-2]
      target[offset++] =
        (packet.username !== undefined ? 0x80 : 0) |
        (packet.password !== undefined ? 0x40 : 0) |
        (will?.retain ? 0x20 : 0) |
        (will ? checkQos(will.qos) << 3 : 0) |
        (will ? 0x04 : 0) |
        (packet.cleanSession ? 0x02 : 0);
      offset = writeUint16(target, offset, packet.keepaliveS);
      offset = writeString(target, offset, packet.clientId, utf8Length(packet.clientId));
      if (will) {
        offset = writeString(target, offset, will.topic, utf8Length(will.topic));
        offset = writeBinary(target, offset, will.payload);
      }
      if (packet.username !== undefined) offset = writeString(target, offset, packet.username, utf8Length(packet.username));
      if (packet.password !== undefined) offset = writeBinary(target, offset, packet.password);
      return offset;
    }
    case 'connack':
      target[offset++] = PacketType.connack << 4;
      target[offset++] = 2;
      target[offset++] = packet.sessionPresent ? 1 : 0;
      target[offset++] = packet.returnCode;
      return offset;
    case 'publish': {
      const packetId = packet.qos > 0 ? checkPacketId(packet.packetId) : 0;
      const flags = publishFlags(packet.qos, packet.retain, packet.dup);
      return encodePublishInto(target, offset, flags, body, encodeTopicField(packet.topic), packetId, packet.payload);
    }
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
    case 'unsuback':
      // PUBREL carries the fixed flags 0b0010 [MQTT-3.6.1-1]
      target[offset++] = (PacketType[packet.type] << 4) | (packet.type === 'pubrel' ? 0x02 : 0);
      target[offset++] = 2;
      return writeUint16(target, offset, checkPacketId(packet.packetId));
    case 'subscribe':
      if (packet.subscriptions.length === 0) {
        throw new UsageError('EMPTY_SUBSCRIBE', 'a SUBSCRIBE needs at least one topic filter [MQTT-3.8.3-3]');
      }
      target[offset++] = (PacketType.subscribe << 4) | 0x02; // [MQTT-3.8.1-1]
      offset = writeVarint(target, offset, body);
      offset = writeUint16(target, offset, checkPacketId(packet.packetId));
      for (const { filter, qos } of packet.subscriptions) {
        offset = writeString(target, offset, filter, utf8Length(filter));
        target[offset++] = checkQos(qos);
      }
      return offset;
    case 'suback':
      target[offset++] = PacketType.suback << 4;
      offset = writeVarint(target, offset, body);
      offset = writeUint16(target, offset, checkPacketId(packet.packetId));
      for (const code of packet.granted) target[offset++] = code;
      return offset;
    case 'unsubscribe':
      if (packet.filters.length === 0) {
        throw new UsageError('EMPTY_UNSUBSCRIBE', 'an UNSUBSCRIBE needs at least one topic filter [MQTT-3.10.3-2]');
      }
      target[offset++] = (PacketType.unsubscribe << 4) | 0x02; // [MQTT-3.10.1-1]
      offset = writeVarint(target, offset, body);
      offset = writeUint16(target, offset, checkPacketId(packet.packetId));
      for (const filter of packet.filters) offset = writeString(target, offset, filter, utf8Length(filter));
      return offset;
    case 'pingreq':
    case 'pingresp':
    case 'disconnect':
      target[offset++] = PacketType[packet.type] << 4;
      target[offset++] = 0;
      return offset;
  }
}

/** Encodes `packet` into a new buffer of exactly its size. */
export function encode(packet: Packet): Uint8Array {
  const bytes = new Uint8Array(encodedLength(packet));
  encodeInto(packet, bytes, 0);
  return bytes;
}
