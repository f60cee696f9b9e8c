// The system port in the desktop simulator: there is no device to restart, so a reboot request is
// traced (the simulator window's Restart does it by hand).
import type { SystemPort } from "ports";

export function moddableSystem(firmwareVersion: string, board: string, resetReason: string): SystemPort {
  return {
    firmwareVersion,
    board,
    resetReason,
    reboot: () => trace("reboot requested: restart the simulator to apply it\n"),
  };
}
