// The ESP32's key/value store: Moddable Preference over NVS (preference-store.ts).
import type { KeyValueStore } from "ports";
import { preferenceStore } from "platform/moddable/preference-store";

export function createStore(): KeyValueStore {
  return preferenceStore("altimeter");
}
