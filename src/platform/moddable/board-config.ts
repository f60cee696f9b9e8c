// The board settings main.ts hands to the board modules (from mc/config; see boards/*/manifest.json).
export interface BoardConfig {
  i2cSda?: number;
  i2cScl?: number;
  i2cHz?: number;
  sensorChip?: string;
  flightScenario?: string;
  wifiSsid?: string;
  wifiPassword?: string;
  /** Hex of the uncompressed P-256 public key updates must be signed with ('' refuses updates). */
  otaPublicKey?: string;
  otaPartitionBytes?: number;
  /** How long a new image has to pass its self-test before it rolls back (default 120 s). */
  otaSelfTestS?: number;
}
