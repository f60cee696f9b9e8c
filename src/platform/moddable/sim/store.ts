// The desktop simulator's key/value store. The SDK's Preference on Linux (modules/files/preference/
// lin/preference.js) rewrites its one JSON file in place: it deletes the file, then writes it again,
// so a kill in between (the power-loss tests kill mcsim) loses every value, where NVS would keep the
// old or the new one. When the simulated flash directory is given ($ALTIMETER_FLASH_DIR, see
// boards/sim/esp-idf-sim.c) the store is a file of its own there instead, written to a new file and
// renamed, so a kill at any moment leaves the old or the new contents whole, as NVS does. The same
// size limit as the device.
import FFI from "mc/ffi";
import { File } from "file";
import type { KeyValueStore } from "ports";
import { PREFERENCE_VALUE_LIMIT, preferenceStore } from "platform/moddable/preference-store";

const FILE = "nvs.json";

export function createStore(): KeyValueStore {
  const dir = new FFI().sim_flash_dir();
  if (!dir) return preferenceStore("altimeter");
  const path = `${dir}/${FILE}`;
  let values: Record<string, string> = {};
  if (File.exists(path)) {
    const file = new File(path);
    values = JSON.parse(file.read(String)) as Record<string, string>;
    file.close();
  }
  const save = () => {
    const temporary = `${path}.new`;
    if (File.exists(temporary)) File.delete(temporary);
    const file = new File(temporary, true);
    file.write(JSON.stringify(values));
    file.close();
    File.rename(temporary, FILE);
  };
  return {
    get: (key) => values[key],
    set(key, value) {
      if (value.length > PREFERENCE_VALUE_LIMIT) throw new RangeError(`value for "${key}" is ${value.length} characters; the device store holds at most ${PREFERENCE_VALUE_LIMIT}`);
      values[key] = value;
      save();
    },
    delete(key) {
      if (!(key in values)) return;
      delete values[key];
      save();
    },
  };
}
