// The board settings main.ts hands to the board modules (from mc/config; see boards/*/manifest.json).
export interface BoardConfig {
  i2cSda?: number;
  i2cScl?: number;
  i2cHz?: number;
  sensorChip?: string;
  flightScenario?: string;
  /** Seed of the simulated flight's wind and sensor noise (the same seed flies the same flight). */
  flightSeed?: number | string;
  wifiSsid?: string;
  wifiPassword?: string;
  /** Hex of the uncompressed P-256 public key updates must be signed with ('' refuses updates). */
  otaPublicKey?: string;
  otaPartitionBytes?: number;
}
