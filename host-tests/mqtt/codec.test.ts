import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodePacket,
  encode,
  encodeInto,
  MAX_REMAINING_LENGTH,
  PacketDecoder,
  ProtocolError,
  UsageError,
  varintLength,
  type Packet,
} from '../../src/mqtt/codec';
import { anyPacket } from '../fakes/mqtt-arbitraries';
import { feedInChunks, mutatedStream, randomStream, splits } from '../fakes/decoder-fuzz';
import { thrown } from '../support/thrown';

const hex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

function decodeAll(chunks: Uint8Array[], maxPacketBytes?: number): Packet[] {
  const decoder = new PacketDecoder({ maxPacketBytes });
  const packets: Packet[] = [];
  for (const chunk of chunks) decoder.push(chunk, (p) => packets.push(p));
  return packets;
}

const protocolErrorOf = (bytes: Uint8Array, maxPacketBytes?: number) => thrown(() => decodeAll([bytes], maxPacketBytes), ProtocolError);

describe('streaming decoder', () => {
  it('decodes a stream split at every byte boundary to the same packets', () => {
    fc.assert(
      fc.property(fc.array(anyPacket, { minLength: 1, maxLength: 5 }), (packets) => {
        const stream = new Uint8Array(Buffer.concat(packets.map((p) => encode(p))));
        for (let cut = 0; cut <= stream.length; cut++) {
          expect(decodeAll([stream.subarray(0, cut), stream.subarray(cut)])).toEqual(packets);
        }
        expect(decodeAll([...stream].map((b) => new Uint8Array([b])))).toEqual(packets);
      }),
      { numRuns: 150 },
    );
  });

  it('decodes many packets from one chunk, in order', () => {
    const packets: Packet[] = Array.from({ length: 50 }, (_, i) => ({ type: 'puback', packetId: i + 1 }));
    expect(decodeAll([new Uint8Array(Buffer.concat(packets.map((p) => encode(p))))])).toEqual(packets);
  });

  it('hands out PUBLISH payloads as views of the received chunk, not copies', () => {
    const bytes = encode({ type: 'publish', topic: 't', payload: new Uint8Array([1, 2, 3]), qos: 0, retain: false, dup: false });
    const [packet] = decodeAll([bytes]);
    expect(packet.type === 'publish' && packet.payload.buffer).toBe(bytes.buffer);
  });

  it('refuses a packet over the size limit from its header, before buffering its body', () => {
    const decoder = new PacketDecoder({ maxPacketBytes: 1024 });
    const header = hex('30 80 10'); // PUBLISH with remaining length 2048
    expect(() => decoder.push(header, () => {})).toThrow(/exceeds this client's limit of 1024/);
    expect(decoder.bufferedBytes).toBeLessThanOrEqual(3);
  });

  it('skips an oversized PUBLISH as it streams past, split anywhere, holding none of it, and names its topic and packet id; the next packets decode', () => {
    const big: Packet = { type: 'publish', topic: 'sensor1/cmd/config', payload: new Uint8Array(5000).fill(0x41), qos: 1, retain: true, dup: false, packetId: 77 };
    const ping: Packet = { type: 'pingresp' };
    const stream = new Uint8Array(Buffer.concat([encode(big), encode(ping), encode({ ...big, qos: 2, packetId: 78, retain: false }), encode(ping)]));
    for (const cut of [1, 2, 3, 5, 7, 20, 23, 24, 1000, 5024, 5025, stream.length - 1]) {
      const decoder = new PacketDecoder({ maxPacketBytes: 1024 });
      const packets: Packet[] = [];
      const discarded: unknown[] = [];
      let held = 0;
      for (const chunk of [stream.subarray(0, cut), stream.subarray(cut)]) {
        decoder.push(chunk, (p) => packets.push(p), undefined, (d) => discarded.push(d));
        held = Math.max(held, decoder.bufferedBytes);
      }
      expect(packets).toEqual([ping, ping]);
      expect(discarded).toEqual([
        { topic: 'sensor1/cmd/config', qos: 1, packetId: 77, retain: true, bytes: 5025 },
        { topic: 'sensor1/cmd/config', qos: 2, packetId: 78, retain: false, bytes: 5025 },
      ]);
      expect(held).toBeLessThanOrEqual(5);
    }
    // Other oversized packets still end the connection; so does a discarded PUBLISH with packet id 0.
    expect(() => new PacketDecoder({ maxPacketBytes: 16 }).push(encode({ type: 'suback', packetId: 1, granted: new Array(40).fill(0) }), () => {}, undefined, () => {})).toThrow(/exceeds/);
    const zeroId = encode({ ...big, packetId: 1 });
    zeroId[3 + 2 + big.topic.length + 1] = 0; // the low byte of the packet id: now 0
    expect(thrown(() => new PacketDecoder({ maxPacketBytes: 1024 }).push(zeroId, () => {}, undefined, () => {}), ProtocolError).code).toBe('ZERO_PACKET_ID');
  });

  it('never takes four bytes of a PUBLISH being skipped for a PUBACK (the PUBACK fast path waits for the skip to end)', () => {
    const decoder = new PacketDecoder({ maxPacketBytes: 1024 });
    const payload = new Uint8Array(3000).fill(0x41);
    payload.set([0x40, 0x02, 0x00, 0x07], 100); // looks like PUBACK 7 when it arrives as a chunk of its own
    const stream = new Uint8Array(encode({ type: 'publish', topic: 't/cmd/x', payload, qos: 1, retain: false, dup: false, packetId: 5 }));
    const at = stream.length - payload.length + 100;
    const discarded: unknown[] = [];
    decoder.push(stream.subarray(0, at), () => {}, undefined, (d) => discarded.push(d));
    expect(decoder.wholePuback(stream.subarray(at, at + 4))).toBe(0);
    decoder.push(stream.subarray(at), () => {}, undefined, (d) => discarded.push(d));
    expect(discarded).toHaveLength(1);
    expect(decoder.wholePuback(hex('40 02 00 07'))).toBe(7); // once the skip is over, a real one is taken
  });

  it('accepts the largest remaining length MQTT allows and rejects a fifth length byte [MQTT-2.2.3]', () => {
    expect(varintLength(MAX_REMAINING_LENGTH)).toBe(4);
    expect(() => varintLength(MAX_REMAINING_LENGTH + 1)).toThrow(UsageError);
    const decoder = new PacketDecoder();
    decoder.push(hex('30 ff ff ff 7f 00'), () => {});
    expect(decoder.bufferedBytes).toBe(6); // a 256 MB packet under way, allowed by default
    expect(protocolErrorOf(hex('30 ff ff ff ff 01')).code).toBe('MALFORMED_REMAINING_LENGTH');
  });

  it('round-trips a 1 MB payload through a buffer the caller provides', () => {
    const payload = new Uint8Array(1_000_000).map((_, i) => i & 0xff);
    const target = new Uint8Array(1_000_100);
    const end = encodeInto({ type: 'publish', topic: 'big', payload, qos: 1, retain: false, dup: false, packetId: 9 }, target, 10);
    const [packet] = decodeAll([target.subarray(10, end)]);
    expect(packet.type === 'publish' && Buffer.from(packet.payload).equals(Buffer.from(payload))).toBe(true);
  });
});

describe('malformed input is a ProtocolError naming the rule', () => {
  const cases: [string, string, string, string][] = [
    ['reserved packet type 0', '00 00', 'RESERVED_PACKET_TYPE', 'MQTT-2.2.1'],
    ['reserved packet type 15', 'f0 00', 'RESERVED_PACKET_TYPE', 'MQTT-2.2.1'],
    ['PUBLISH QoS 3', '36 05 00 01 61 00 01', 'INVALID_QOS', 'MQTT-3.3.1-4'],
    ['PUBLISH QoS 0 with DUP', '38 03 00 01 61', 'INVALID_FLAGS', 'MQTT-3.3.1-2'],
    ['PUBLISH topic with a wildcard', '30 03 00 01 23', 'INVALID_TOPIC', 'MQTT-3.3.2-2'],
    ['PUBLISH empty topic', '30 02 00 00', 'INVALID_TOPIC', 'MQTT-3.3.2-2'],
    ['PUBLISH QoS 1 with packet id 0', '32 05 00 01 61 00 00', 'ZERO_PACKET_ID', 'MQTT-2.3.1-1'],
    ['topic with U+0000', '30 03 00 01 00', 'NULL_CHARACTER', 'MQTT-1.5.3-2'],
    ['topic with an encoded surrogate', '30 05 00 03 ed a0 80', 'MALFORMED_UTF8', 'MQTT-1.5.3-1'],
    ['topic with an overlong slash', '30 04 00 02 c0 af', 'MALFORMED_UTF8', 'MQTT-1.5.3-1'],
    ['topic with a truncated sequence', '30 04 00 02 61 e2', 'MALFORMED_UTF8', 'MQTT-1.5.3-1'],
    ['topic length past the packet', '30 03 00 05 61', 'TRUNCATED_PACKET', 'MQTT-2.2.3'],
    ['PUBACK with flags', '41 02 00 01', 'INVALID_FLAGS', 'MQTT-2.2.2-2'],
    ['PUBREL without its 0b0010 flags', '60 02 00 01', 'INVALID_FLAGS', 'MQTT-3.6.1-1'],
    ['PUBACK with an extra byte', '40 03 00 01 00', 'TRAILING_BYTES', 'MQTT-2.2.3'],
    ['SUBSCRIBE without 0b0010 flags', '80 06 00 01 00 01 61 00', 'INVALID_FLAGS', 'MQTT-3.8.1-1'],
    ['SUBSCRIBE with no filter', '82 02 00 01', 'EMPTY_SUBSCRIBE', 'MQTT-3.8.3-3'],
    ['SUBSCRIBE with requested QoS 3', '82 06 00 01 00 01 61 03', 'INVALID_QOS', 'MQTT-3.8.3-4'],
    ['SUBSCRIBE with a misplaced #', '82 07 00 01 00 02 23 61 00', 'INVALID_TOPIC_FILTER', 'MQTT-4.7.1-1'],
    ['SUBACK with return code 3', '90 03 00 01 03', 'INVALID_SUBACK_CODE', 'MQTT-3.9.3-2'],
    ['UNSUBSCRIBE with no filter', 'a2 02 00 01', 'EMPTY_UNSUBSCRIBE', 'MQTT-3.10.3-2'],
    ['CONNACK return code 6', '20 02 00 06', 'INVALID_RETURN_CODE', 'MQTT-3.2.2.3'],
    ['CONNACK refusal with session present', '20 02 01 05', 'INVALID_FLAGS', 'MQTT-3.2.2-4'],
    ['CONNECT for protocol level 5', '10 0d 00 04 4d 51 54 54 05 02 00 3c 00 01 61', 'UNSUPPORTED_PROTOCOL_LEVEL', 'MQTT-3.1.2-2'],
    ['CONNECT with the reserved flag', '10 0d 00 04 4d 51 54 54 04 03 00 3c 00 01 61', 'INVALID_FLAGS', 'MQTT-3.1.2-3'],
    ['CONNECT with a password but no user', '10 0d 00 04 4d 51 54 54 04 42 00 3c 00 01 61', 'PASSWORD_WITHOUT_USERNAME', 'MQTT-3.1.2-22'],
    ['PINGRESP with a body', 'd0 01 00', 'TRAILING_BYTES', 'MQTT-2.2.3'],
  ];
  it.each(cases)('%s', (_name, bytes, code, rule) => {
    const error = protocolErrorOf(hex(bytes));
    expect(error.code).toBe(code);
    expect(error.rule).toBe(rule);
    expect(error.message).toContain(`[${rule}]`);
  });

  it('accepts multi-byte UTF-8 and a BOM in topics unchanged', () => {
    const topic = 'ballon/altitude/🎈/\ufeffé';
    const [packet] = decodeAll([encode({ type: 'publish', topic, payload: new Uint8Array(), qos: 0, retain: false, dup: false })]);
    expect(packet.type === 'publish' && packet.topic).toBe(topic);
  });

  it('decodePacket refuses leftovers', () => {
    expect(() => decodePacket(hex('c0 00 c0'))).toThrow(ProtocolError);
  });
});

describe('decoder fuzzing (bounded; `npm run fuzz` runs it long)', () => {
  it('never throws anything but a ProtocolError on mutated valid streams in random splits', () => {
    fc.assert(fc.property(mutatedStream, splits, (bytes, sizes) => void feedInChunks(bytes, sizes)), { numRuns: 3000 });
  });
  it('never throws anything but a ProtocolError on random bytes', () => {
    fc.assert(fc.property(randomStream, splits, (bytes, sizes) => void feedInChunks(bytes, sizes)), { numRuns: 3000 });
  });
});
