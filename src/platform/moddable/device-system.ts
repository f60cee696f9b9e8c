// The system port on the Moddable runtime: firmware version and board from the build config, the
// reset reason from ESP-IDF (esp_reset_reason), restart through esp_restart. In the desktop simulator
// the same functions come from boards/sim/esp-idf-sim.c: a restart ends the simulator process and the
// harness starts it again from the image the boot record names, as the bootloader would.
import type { SystemPort } from "ports";
import { resetReason, restart } from "platform/moddable/esp-idf";

export function deviceSystem(firmwareVersion: string, board: string): SystemPort {
  return {
    firmwareVersion,
    board,
    resetReason: resetReason(),
    reboot: () => restart(),
  };
}
