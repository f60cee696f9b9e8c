// The board settings main.ts hands to the board modules (from mc/config; see boards/*/manifest.json).
export interface BoardConfig {
  i2cSda?: number;
  i2cScl?: number;
  i2cHz?: number;
  sensorChip?: string;
  flightScenario?: string;
  /** Seed of the simulated flight's wind and sensor noise (the same seed flies the same flight). */
  flightSeed?: number;
  /** The simulator only: a recorded flight (CSV, src/sim/recorded-flight.ts) under the file root, flown as "replay". */
  flightFile?: string;
  wifiSsid?: string;
  wifiPassword?: string;
  /** Hex of the uncompressed P-256 public key updates must be signed with ('' refuses updates). */
  otaPublicKey?: string;
  otaPartitionBytes?: number;
}

/**
 * The settings a run of the firmware starts with: from the build config (mcconfig key=value), which
 * the simulator lets the launch override (board/launch).
 */
export interface LaunchSettings {
  deviceId: string;
  brokerHost: string;
  brokerPort: number;
  brokerTls: boolean;
  /** The CA that signed the broker's certificate, base64 DER on one line ('' for the SDK's CAs). */
  brokerCa: string;
  /** The device's login ('' for none: then NVS, see broker-login.ts). Never logged. */
  brokerUsername: string;
  brokerPassword: string;
  /** A client certificate (base64 DER) and its RSA key (base64 PKCS#8 DER) for mutual TLS, or ''. */
  brokerClientCert: string;
  brokerClientKey: string;
  flightScenario?: string;
  flightSeed?: number;
  flightFile?: string;
}
