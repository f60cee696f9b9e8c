// MQTT 3.1.1 control packets as plain objects tagged by `type` (OASIS standard §2–3).

export type QoS = 0 | 1 | 2;

export const PacketType = {
  connect: 1,
  connack: 2,
  publish: 3,
  puback: 4,
  pubrec: 5,
  pubrel: 6,
  pubcomp: 7,
  subscribe: 8,
  suback: 9,
  unsubscribe: 10,
  unsuback: 11,
  pingreq: 12,
  pingresp: 13,
  disconnect: 14,
} as const;

export interface Will {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
}

export interface ConnectPacket {
  type: 'connect';
  clientId: string;
  cleanSession: boolean;
  keepaliveS: number;
  username?: string;
  password?: Uint8Array;
  will?: Will;
}

export interface ConnackPacket {
  type: 'connack';
  sessionPresent: boolean;
  returnCode: number;
}

export interface PublishPacket {
  type: 'publish';
  topic: string;
  /** A view into the received bytes when decoded: copy it to keep it past the next receive. */
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  /** Present for QoS 1 and 2 only. */
  packetId?: number;
}

export interface AckPacket {
  type: 'puback' | 'pubrec' | 'pubrel' | 'pubcomp' | 'unsuback';
  packetId: number;
}

export interface Subscription {
  filter: string;
  qos: QoS;
}

export interface SubscribePacket {
  type: 'subscribe';
  packetId: number;
  subscriptions: Subscription[];
}

/** Granted QoS per filter, or 0x80 where the broker refused the subscription. */
export interface SubackPacket {
  type: 'suback';
  packetId: number;
  granted: number[];
}

export interface UnsubscribePacket {
  type: 'unsubscribe';
  packetId: number;
  filters: string[];
}

export interface EmptyPacket {
  type: 'pingreq' | 'pingresp' | 'disconnect';
}

export type Packet =
  | ConnectPacket
  | ConnackPacket
  | PublishPacket
  | AckPacket
  | SubscribePacket
  | SubackPacket
  | UnsubscribePacket
  | EmptyPacket;

/** Largest remaining length the four-byte variable integer can carry (§2.2.3). */
export const MAX_REMAINING_LENGTH = 268_435_455;
