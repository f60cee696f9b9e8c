// What the server tells the page at /config.json: which device, where the broker's WebSocket
// listener is, and the ground parties, each with its page account when the server has one. What a
// party may read and command is not in here: the page takes it from the access policy itself
// (host/broker/policy.ts), the same module the brokers enforce.
import type { GroundRole } from '../../broker/policy';

export interface PartyConfig {
  role: GroundRole;
  username?: string;
  password?: string;
}

export interface PageConfig {
  deviceId: string;
  /** ws://… or wss://… of the broker's MQTT-over-WebSocket listener. */
  wsUrl: string;
  parties: PartyConfig[];
  /** Where the accounts offered come from, for the login form; absent when the user types them. */
  accountsFrom?: string;
}
