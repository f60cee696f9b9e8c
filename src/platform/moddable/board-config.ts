// The board settings main.ts hands to the board modules (from mc/config; see boards/*/manifest.json).
export interface BoardConfig {
  i2cSda?: number;
  i2cScl?: number;
  i2cHz?: number;
  sensorChip?: string;
  flightScenario?: string;
  wifiSsid?: string;
  wifiPassword?: string;
}
