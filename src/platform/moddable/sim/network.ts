// The network port in the desktop simulator: the computer's own network, always up.
import type { NetworkLink } from "ports";
import type { BoardConfig } from "platform/moddable/board-config";

export function createNetworkLink(_config: BoardConfig): NetworkLink {
  return {
    up: true,
    onChange() {},
    start() {},
  };
}
