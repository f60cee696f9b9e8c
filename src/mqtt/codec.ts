// The MQTT 3.1.1 codec: packet shapes, encoding into caller buffers, and the streaming decoder.
export * from './packets';
export {
  encode,
  encodeInto,
  encodedLength,
  encodePublishInto,
  encodeTopicField,
  packetLength,
  publishFlags,
  publishRemainingLength,
  varintLength,
} from './encode';
export { PacketDecoder, decodePacket, type DecoderOptions } from './decode';
export { ProtocolError, UsageError, ConnectionRefusedError } from './errors';
