// The key/value store port as one JSON file (what Preference is on the device). Writes go to a
// temporary file that is then renamed over the old one, so a crash never leaves half a file.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { KeyValueStore } from '../../ports';

export class JsonFileStore implements KeyValueStore {
  readonly file: string;
  #data: Record<string, string>;

  constructor(file: string) {
    this.file = file;
    try {
      this.#data = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    } catch {
      this.#data = {};
    }
  }

  get(key: string): string | undefined {
    return Object.prototype.hasOwnProperty.call(this.#data, key) ? this.#data[key] : undefined;
  }

  set(key: string, value: string): void {
    this.#data[key] = value;
    this.#flush();
  }

  delete(key: string): void {
    delete this.#data[key];
    this.#flush();
  }

  #flush(): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    const temporary = `${this.file}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.#data, null, 2));
    renameSync(temporary, this.file);
  }
}
