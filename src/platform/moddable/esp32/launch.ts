// On the ESP32 a run starts with the settings the image was built with (boards/esp32/manifest.json,
// or key=value on the mcconfig command line): nothing overrides them at launch.
import type { LaunchSettings } from "platform/moddable/board-config";

export function launchSettings(built: LaunchSettings): LaunchSettings {
  return built;
}
