// Differential tests: mqtt-packet (the codec under MQTT.js) is the oracle. Generated packets must
// encode to the same bytes, and each side must decode the other's bytes to the same fields.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePacket, encode, encodedLength } from '../../src/mqtt/codec';
import { anyPacket } from '../fakes/mqtt-arbitraries';
import { fromOracle, oracleDecode, oracleEncode } from '../support/mqtt-oracle';

const runs = { numRuns: 1500 };

describe('codec against mqtt-packet', () => {
  it('encodes every generated packet to the same bytes as mqtt-packet', () => {
    fc.assert(
      fc.property(anyPacket, (packet) => {
        expect(Buffer.from(encode(packet)).toString('hex')).toBe(Buffer.from(oracleEncode(packet)).toString('hex'));
        expect(encodedLength(packet)).toBe(encode(packet).length);
      }),
      runs,
    );
  });

  it('decodes mqtt-packet bytes to the fields that were encoded', () => {
    fc.assert(
      fc.property(anyPacket, (packet) => {
        expect(decodePacket(oracleEncode(packet))).toEqual(packet);
      }),
      runs,
    );
  });

  it('produces bytes that mqtt-packet decodes to the same fields', () => {
    fc.assert(
      fc.property(anyPacket, (packet) => {
        const decoded = oracleDecode(encode(packet));
        expect(decoded).toHaveLength(1);
        expect(fromOracle(decoded[0])).toEqual(packet);
      }),
      runs,
    );
  });
});
