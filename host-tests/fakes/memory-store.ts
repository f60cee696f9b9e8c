// The key/value store port in memory (what Moddable Preference is on the device). Core-compatible.
import type { KeyValueStore } from '../../src/ports';

export class MemoryStore implements KeyValueStore {
  readonly data = new Map<string, string>();
  get(key: string): string | undefined {
    return this.data.get(key);
  }
  set(key: string, value: string): void {
    this.data.set(key, value);
  }
  delete(key: string): void {
    this.data.delete(key);
  }
}
