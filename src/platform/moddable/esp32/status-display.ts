// The ESP32 dev board (esp32-devkitc) has no screen: the node's status is on the broker, and in the
// serial log. A board with a display would draw it here, as the simulated board does
// (src/platform/moddable/sim/status-display.ts).
import type { BoardConfig } from "platform/moddable/board-config";
import type { DeviceIdentity, StatusDisplay } from "platform/moddable/node-status";

export function createStatusDisplay(_config: BoardConfig, _device: DeviceIdentity): StatusDisplay | undefined {
  return undefined;
}
