// Translation between our packet objects and mqtt-packet's, so mqtt-packet can serve as the oracle.
import mqttPacket from 'mqtt-packet';
import type { Packet } from '../../src/mqtt/codec';

type OraclePacket = Record<string, unknown> & { cmd: string };

export function toOracle(packet: Packet): OraclePacket {
  switch (packet.type) {
    case 'connect':
      return {
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clean: packet.cleanSession,
        clientId: packet.clientId,
        keepalive: packet.keepaliveS,
        ...(packet.username !== undefined ? { username: packet.username } : {}),
        ...(packet.password !== undefined ? { password: Buffer.from(packet.password) } : {}),
        ...(packet.will
          ? { will: { topic: packet.will.topic, payload: Buffer.from(packet.will.payload), qos: packet.will.qos, retain: packet.will.retain } }
          : {}),
      };
    case 'connack':
      return { cmd: 'connack', returnCode: packet.returnCode, sessionPresent: packet.sessionPresent };
    case 'publish':
      return {
        cmd: 'publish',
        topic: packet.topic,
        payload: Buffer.from(packet.payload),
        qos: packet.qos,
        retain: packet.retain,
        dup: packet.dup,
        ...(packet.packetId !== undefined ? { messageId: packet.packetId } : {}),
      };
    case 'subscribe':
      return { cmd: 'subscribe', messageId: packet.packetId, subscriptions: packet.subscriptions.map((s) => ({ topic: s.filter, qos: s.qos })) };
    case 'suback':
      return { cmd: 'suback', messageId: packet.packetId, granted: packet.granted };
    case 'unsubscribe':
      return { cmd: 'unsubscribe', messageId: packet.packetId, unsubscriptions: packet.filters };
    case 'pingreq':
    case 'pingresp':
    case 'disconnect':
      return { cmd: packet.type };
    default:
      return { cmd: packet.type, messageId: packet.packetId };
  }
}

/** The fields of a packet decoded by mqtt-packet, in our shape. */
export function fromOracle(o: OraclePacket): Packet {
  const bytes = (b: unknown) => new Uint8Array(b as Buffer);
  switch (o.cmd) {
    case 'connect': {
      const packet: Packet = { type: 'connect', clientId: o.clientId as string, cleanSession: o.clean as boolean, keepaliveS: o.keepalive as number };
      const will = o.will as { topic: string; payload: Buffer; qos: 0 | 1 | 2; retain: boolean } | undefined;
      if (will) packet.will = { topic: will.topic, payload: bytes(will.payload), qos: will.qos, retain: will.retain };
      if (o.username !== undefined) packet.username = o.username as string;
      if (o.password !== undefined) packet.password = bytes(o.password);
      return packet;
    }
    case 'connack':
      return { type: 'connack', sessionPresent: o.sessionPresent as boolean, returnCode: o.returnCode as number };
    case 'publish': {
      const packet: Packet = { type: 'publish', topic: o.topic as string, payload: bytes(o.payload), qos: o.qos as 0 | 1 | 2, retain: o.retain as boolean, dup: o.dup as boolean };
      if ((o.qos as number) > 0) packet.packetId = o.messageId as number;
      return packet;
    }
    case 'subscribe':
      return {
        type: 'subscribe',
        packetId: o.messageId as number,
        subscriptions: (o.subscriptions as { topic: string; qos: 0 | 1 | 2 }[]).map((s) => ({ filter: s.topic, qos: s.qos })),
      };
    case 'suback':
      return { type: 'suback', packetId: o.messageId as number, granted: o.granted as number[] };
    case 'unsubscribe':
      return { type: 'unsubscribe', packetId: o.messageId as number, filters: o.unsubscriptions as string[] };
    case 'pingreq':
    case 'pingresp':
    case 'disconnect':
      return { type: o.cmd };
    default:
      return { type: o.cmd as 'puback', packetId: o.messageId as number };
  }
}

export function oracleEncode(packet: Packet): Uint8Array {
  return new Uint8Array(mqttPacket.generate(toOracle(packet) as unknown as mqttPacket.Packet));
}

export function oracleDecode(bytes: Uint8Array): OraclePacket[] {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const packets: OraclePacket[] = [];
  const errors: Error[] = [];
  parser.on('packet', (p) => packets.push(p as unknown as OraclePacket));
  parser.on('error', (e: Error) => errors.push(e));
  parser.parse(Buffer.from(bytes));
  if (errors.length) throw errors[0];
  return packets;
}
