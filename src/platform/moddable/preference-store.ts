// The key/value store port over Moddable's Preference (NVS on the ESP32, a file in the simulator).
// Preference values are small (an NVS string holds about 4 KB), so a long value is stored in
// numbered pieces under "<key>#0", "<key>#1" … with the count under "<key>#n".
import Preference from "preference";
import type { KeyValueStore } from "../../ports";

const PIECE = 1800;
/** NVS space is small (16 KB partition): refuse values that could not fit. */
export const PREFERENCE_VALUE_LIMIT = 10_000;

export function preferenceStore(domain: string): KeyValueStore {
  const count = (key: string) => Number(Preference.get(domain, `${key}#n`) ?? 0);
  return {
    get(key) {
      const pieces = count(key);
      if (pieces === 0) return undefined;
      let value = "";
      for (let i = 0; i < pieces; i++) value += String(Preference.get(domain, `${key}#${i}`) ?? "");
      return value;
    },
    set(key, value) {
      if (value.length > PREFERENCE_VALUE_LIMIT) throw new RangeError(`value for "${key}" is ${value.length} characters; the device store holds at most ${PREFERENCE_VALUE_LIMIT}`);
      this.delete(key);
      const pieces = Math.ceil(value.length / PIECE) || 1;
      for (let i = 0; i < pieces; i++) Preference.set(domain, `${key}#${i}`, value.slice(i * PIECE, (i + 1) * PIECE));
      Preference.set(domain, `${key}#n`, pieces);
    },
    delete(key) {
      const pieces = count(key);
      for (let i = 0; i < pieces; i++) Preference.delete(domain, `${key}#${i}`);
      if (pieces) Preference.delete(domain, `${key}#n`);
    },
  };
}
