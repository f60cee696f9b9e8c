// Decoder fuzzing shared by `npm test` (bounded) and `npm run fuzz` (long): mutated valid packets and
// random bytes, fed in random splits. The only acceptable failure is a ProtocolError; the decoder
// never holds more than its limit.
import fc from 'fast-check';
import { encode, PacketDecoder, ProtocolError, type Packet } from '../../src/mqtt/codec';
import { anyPacket } from './mqtt-arbitraries';

export const FUZZ_MAX_PACKET_BYTES = 4096;

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
);

export const mutatedStream = fc
  .tuple(fc.array(anyPacket, { minLength: 1, maxLength: 4 }), fc.array(mutation, { maxLength: 4 }))
  .map(([packets, mutations]) => {
    let bytes = Array.from(Buffer.concat(packets.map((p: Packet) => encode(p))));
    for (const m of mutations) {
      const at = m.at % (bytes.length + 1);
      if (m.kind === 'flip') bytes[at % bytes.length] ^= 1 << m.bit;
      else if (m.kind === 'set') bytes[at % bytes.length] = m.value;
      else if (m.kind === 'truncate') bytes = bytes.slice(0, at);
      else bytes.splice(at, 0, m.value);
    }
    return new Uint8Array(bytes);
  });

export const randomStream = fc.uint8Array({ maxLength: 512 }).map((b) => new Uint8Array(b));

export const splits = fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 32 });

/** Feeds `bytes` in chunks of the given sizes (cycled); returns how it ended. Throws on anything but a ProtocolError. */
export function feedInChunks(bytes: Uint8Array, sizes: number[]): { packets: number; error?: ProtocolError } {
  const decoder = new PacketDecoder({ maxPacketBytes: FUZZ_MAX_PACKET_BYTES });
  let packets = 0;
  let offset = 0;
  let i = 0;
  try {
    while (offset < bytes.length) {
      const size = sizes[i++ % sizes.length];
      decoder.push(bytes.subarray(offset, offset + size), () => packets++);
      offset += size;
      if (decoder.bufferedBytes > FUZZ_MAX_PACKET_BYTES) throw new Error(`decoder holds ${decoder.bufferedBytes} bytes`);
    }
  } catch (error) {
    if (error instanceof ProtocolError) return { packets, error };
    throw error;
  }
  return { packets };
}
