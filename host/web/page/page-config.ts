// What the server tells the page at /config.json: which device, where the broker's WebSocket
// listener is, and the parties (with demo credentials when the server knows them).
import type { Party } from '../../parties';

export interface PartyConfig extends Party {
  username?: string;
  password?: string;
}

export interface PageConfig {
  deviceId: string;
  /** ws://… or wss://… of the broker's MQTT-over-WebSocket listener. */
  wsUrl: string;
  parties: PartyConfig[];
}
