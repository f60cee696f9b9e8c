// The system port: firmware version and board from the build config, restart through ECMA-419 System.
// mcconfig resolves "system" to the SDK's untyped system.js, so its own compile cannot see our
// declaration (moddable-modules.d.ts, used by `npm run typecheck`).
// eslint-disable-next-line @typescript-eslint/ban-ts-comment -- the error exists under mcconfig only
// @ts-ignore TS7016
import System from "system";
import type { SystemPort } from "ports";

export function moddableSystem(firmwareVersion: string, board: string, resetReason: string): SystemPort {
  return {
    firmwareVersion,
    board,
    resetReason,
    reboot: () => (System as unknown as { restart(): void }).restart(),
  };
}
