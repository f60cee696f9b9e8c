// Codec work the suite runs on Node and on XS: encodings (hex) of a fixed set of packets, decoding
// them back, split decoding, and the errors for malformed input. Results must match exactly.
import { decodePacket, encode, PacketDecoder, ProtocolError, type Packet } from '../../../src/mqtt/codec';

const bytes = (s: string) => new Uint8Array([...s].map((c) => c.charCodeAt(0)));
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const fromHex = (h: string) => new Uint8Array((h.match(/../g) ?? []).map((x) => parseInt(x, 16)));

const PACKETS: Packet[] = [
  { type: 'connect', clientId: 'sensor1', cleanSession: false, keepaliveS: 30, username: 'crew', password: bytes('pw'),
    will: { topic: 'sensor1/status', payload: bytes('offline'), qos: 1, retain: true } },
  { type: 'connack', sessionPresent: true, returnCode: 0 },
  { type: 'publish', topic: 'sensor1/altitude', payload: bytes('1523.4'), qos: 0, retain: false, dup: false },
  { type: 'publish', topic: 'ballon/höhe/🎈', payload: new Uint8Array(300).fill(7), qos: 2, retain: true, dup: true, packetId: 65535 },
  { type: 'puback', packetId: 1 },
  { type: 'pubrel', packetId: 2 },
  { type: 'subscribe', packetId: 3, subscriptions: [{ filter: 'sensor1/cmd/+', qos: 1 }, { filter: '#', qos: 0 }] },
  { type: 'suback', packetId: 3, granted: [1, 0x80] },
  { type: 'unsubscribe', packetId: 4, filters: ['a/b', 'c/#'] },
  { type: 'unsuback', packetId: 4 },
  { type: 'pingreq' },
  { type: 'disconnect' },
];

const MALFORMED = ['0000', '3605000161 0001', '38030001 61', '300300 0123', '3005 0003eda080', '6002 0001', '82020001', '30ffffffff01', '2002 0106'];

export default function codecOnBothEngines() {
  const encoded = PACKETS.map((p) => hex(encode(p)));
  const roundTrips = encoded.map((h) => JSON.stringify(decodePacket(fromHex(h)), (_k, v) => (v instanceof Uint8Array ? hex(v) : v)));
  // The whole stream fed one byte at a time decodes to the same packets.
  const stream = fromHex(encoded.join(''));
  const decoder = new PacketDecoder();
  let split = 0;
  for (let i = 0; i < stream.length; i++) decoder.push(stream.subarray(i, i + 1), () => split++);
  const errors = MALFORMED.map((h) => {
    try {
      decodePacket(fromHex(h.replace(/ /g, '')));
      return 'accepted';
    } catch (error) {
      return error instanceof ProtocolError ? `${error.code} ${error.rule}` : `UNTYPED ${String(error)}`;
    }
  });
  return { encoded, roundTrips, split, errors };
}
