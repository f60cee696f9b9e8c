// fast-check generators of valid MQTT 3.1.1 packets (our shape), shared by the differential,
// fuzzing and session suites.
import fc from 'fast-check';
import type { Packet, QoS } from '../../src/mqtt/codec';

const qos = fc.constantFrom<QoS>(0, 1, 2);
const packetId = fc.integer({ min: 1, max: 65535 });
const bytes = (maxLength: number) => fc.uint8Array({ maxLength }).map((b) => new Uint8Array(b));
/** Unicode text without U+0000 (and so without lone surrogates). */
const text = (minLength: number, maxLength: number) =>
  fc.string({ unit: 'grapheme', minLength, maxLength }).filter((s) => !s.includes('\u0000'));
const level = fc.oneof(
  fc.constantFrom('sensor1', 'altitude', 'cmd', '', 'émergence', '高度', '🎈'),
  text(1, 8).map((s) => s.replace(/[+#/]/g, '_')),
);
export const topicName = fc.array(level, { minLength: 1, maxLength: 5 }).map((levels) => levels.join('/')).filter((t) => t.length > 0);
export const topicFilter = fc
  .tuple(fc.array(fc.oneof(level, fc.constant('+')), { minLength: 1, maxLength: 5 }), fc.boolean())
  .map(([levels, multi]) => (multi ? [...levels, '#'] : levels).join('/'))
  .filter((f) => f.length > 0);

export const connectPacket = fc.record({
  type: fc.constant('connect' as const),
  clientId: text(1, 23),
  cleanSession: fc.boolean(),
  keepaliveS: fc.integer({ min: 0, max: 65535 }),
  will: fc.option(fc.record({ topic: topicName, payload: bytes(64), qos, retain: fc.boolean() }), { nil: undefined }),
  credentials: fc.option(fc.tuple(text(0, 12), fc.option(bytes(16), { nil: undefined })), { nil: undefined }),
}).map(({ credentials, will, ...rest }): Packet => {
  const packet: Packet = { ...rest };
  if (will) packet.will = will;
  if (credentials) {
    packet.username = credentials[0];
    if (credentials[1]) packet.password = credentials[1];
  }
  return packet;
});

export const publishPacket = fc
  .record({ topic: topicName, payload: bytes(300), qos, retain: fc.boolean(), dup: fc.boolean(), packetId })
  .map(({ topic, payload, qos, retain, dup, packetId }): Packet =>
    qos === 0
      ? { type: 'publish', topic, payload, qos, retain, dup: false }
      : { type: 'publish', topic, payload, qos, retain, dup, packetId },
  );

export const anyPacket: fc.Arbitrary<Packet> = fc.oneof(
  connectPacket,
  fc.record({ type: fc.constant('connack' as const), sessionPresent: fc.boolean(), returnCode: fc.integer({ min: 0, max: 5 }) }).map(
    (p): Packet => ({ ...p, sessionPresent: p.returnCode === 0 ? p.sessionPresent : false }),
  ),
  publishPacket,
  fc.record({ type: fc.constantFrom('puback' as const, 'pubrec' as const, 'pubrel' as const, 'pubcomp' as const, 'unsuback' as const), packetId }),
  fc.record({
    type: fc.constant('subscribe' as const),
    packetId,
    subscriptions: fc.array(fc.record({ filter: topicFilter, qos }), { minLength: 1, maxLength: 4 }),
  }),
  fc.record({ type: fc.constant('suback' as const), packetId, granted: fc.array(fc.constantFrom(0, 1, 2, 0x80), { minLength: 1, maxLength: 4 }) }),
  fc.record({ type: fc.constant('unsubscribe' as const), packetId, filters: fc.array(topicFilter, { minLength: 1, maxLength: 4 }) }),
  fc.record({ type: fc.constantFrom('pingreq' as const, 'pingresp' as const, 'disconnect' as const) }),
);
