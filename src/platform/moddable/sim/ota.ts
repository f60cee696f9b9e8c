// The desktop simulator has no flash partitions and no bootloader: over-the-air updates are not
// offered there (the `ota` command answers so). The host simulation (`npm start -- --ota-key`) is
// where updates run end to end off the device.
import type { Clock, KeyValueStore, Log } from "ports";
import type { Updater } from "ota/updater";

export function createUpdater(
  _config: object,
  _ports: { board: string; currentVersion: string; clock: Clock; store: KeyValueStore; reboot: () => void; log: Log },
): Updater | undefined {
  return undefined;
}
