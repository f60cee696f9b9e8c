// ESP-IDF's NVS (non-volatile storage) as Moddable's Preference uses it on the ESP32, over the "nvs"
// partition of boards/esp32/partitions.csv. Modelled on ESP-IDF components/nvs_flash (nvs_page.cpp,
// nvs_storage.cpp, nvs_pagemanager.cpp):
//
// - The partition is a row of 4 KB pages of 126 entries of 32 bytes. One page is always kept free, so
//   garbage collection has somewhere to copy to.
// - Keys and namespace names are at most 15 bytes (ESP_ERR_NVS_KEY_TOO_LONG when writing; a lookup
//   compares only the first 15 bytes). A namespace is an entry of its own, written by the first
//   read-write nvs_open; a read-only open of one that does not exist is ESP_ERR_NVS_NOT_FOUND.
// - u8 and i32 take one entry; a string one header entry plus its bytes and NUL in 32-byte entries,
//   on one page: at most 4000 bytes with the NUL (ESP_ERR_NVS_VALUE_TOO_LONG).
// - Writes go to the active page; an item that does not fit closes it (its unused tail is wasted
//   until collected) and the next free page opens. When only the reserve page is free, the full page
//   with the most unused entries (erased or never written) is collected into the reserve; when no page
//   has any, ESP_ERR_NVS_NOT_ENOUGH_SPACE. Erasing an item only marks its entries.
// - Looking a key up with another type than it was stored with is ESP_ERR_NVS_TYPE_MISMATCH.
//
// Blobs (split across pages in NVS format 2) are not modelled: this project stores none.
import { xsUtf8 } from './xs-values';

export const ESP_ERR_NVS_NOT_ENOUGH_SPACE = 0x1105;
export const ESP_ERR_NVS_NOT_FOUND = 0x1102;
export const ESP_ERR_NVS_TYPE_MISMATCH = 0x1103;
export const ESP_ERR_NVS_KEY_TOO_LONG = 0x1109;
export const ESP_ERR_NVS_VALUE_TOO_LONG = 0x110c;

export const NVS_PAGE_BYTES = 4096;
export const NVS_ENTRIES_PER_PAGE = 126;
const ENTRY_BYTES = 32;
const MAX_KEY_BYTES = 15;
const MAX_STRING_BYTES = ENTRY_BYTES * (NVS_ENTRIES_PER_PAGE - 1);

export type NvsType = 'u8' | 'i32' | 'str';
export type NvsValue = number | string;

interface Item {
  namespace: number;
  key: string;
  type: NvsType;
  value: NvsValue;
  span: number;
  erased: boolean;
}

interface Page {
  items: Item[];
  /** Entries written so far (live or erased); the rest of the page is free. */
  next: number;
  full: boolean;
}

const keyBytes = (key: string) => xsUtf8(key).length;
const sameKey = (a: string, b: string) => xsUtf8(a).subarray(0, MAX_KEY_BYTES).join() === xsUtf8(b).subarray(0, MAX_KEY_BYTES).join();

export class NvsStorage {
  readonly pageCount: number;
  /** Pages in use, oldest first; the last is the active one. */
  readonly #pages: Page[] = [];
  #freePages: number;
  readonly #namespaces = new Map<string, number>();
  /** Garbage collections run (a page copied into the reserve and erased). */
  collections = 0;
  /**
   * Called before each item is written; throws when the power is gone (an item that was being
   * written when it failed is discarded at the next start: NVS checks each entry's CRC).
   */
  readonly #beforeWrite: (bytes: number) => void;

  constructor(partitionBytes: number, beforeWrite: (bytes: number) => void = () => {}) {
    this.pageCount = Math.floor(partitionBytes / NVS_PAGE_BYTES);
    this.#freePages = this.pageCount;
    this.#beforeWrite = beforeWrite;
  }

  /** nvs_open: the namespace's index, or an error. */
  open(name: string, readWrite: boolean): { err: number; namespace?: number } {
    for (const [known, index] of this.#namespaces) if (sameKey(known, name)) return { err: 0, namespace: index };
    if (!readWrite) return { err: ESP_ERR_NVS_NOT_FOUND };
    if (keyBytes(name) > MAX_KEY_BYTES) return { err: ESP_ERR_NVS_KEY_TOO_LONG };
    if (this.#namespaces.size >= 254) return { err: ESP_ERR_NVS_NOT_ENOUGH_SPACE };
    const index = this.#namespaces.size + 1;
    const err = this.#write({ namespace: 0, key: name, type: 'u8', value: index, span: 1, erased: false });
    if (err) return { err };
    this.#namespaces.set(name, index);
    return { err: 0, namespace: index };
  }

  #find(namespace: number, key: string): Item | undefined {
    for (const page of this.#pages) for (const item of page.items) if (!item.erased && item.namespace === namespace && sameKey(item.key, key)) return item;
    return undefined;
  }

  get(namespace: number, key: string, type: NvsType): { err: number; value?: NvsValue } {
    const item = this.#find(namespace, key);
    if (!item) return { err: ESP_ERR_NVS_NOT_FOUND };
    if (item.type !== type) return { err: ESP_ERR_NVS_TYPE_MISMATCH };
    return { err: 0, value: item.value };
  }

  set(namespace: number, key: string, type: NvsType, value: NvsValue): number {
    if (keyBytes(key) > MAX_KEY_BYTES) return ESP_ERR_NVS_KEY_TOO_LONG;
    let span = 1;
    if (type === 'str') {
      const bytes = xsUtf8(value as string).length + 1;
      if (bytes > MAX_STRING_BYTES) return ESP_ERR_NVS_VALUE_TOO_LONG;
      span = 1 + Math.ceil(bytes / ENTRY_BYTES);
    }
    const old = this.#find(namespace, key);
    const err = this.#write({ namespace, key, type, value, span, erased: false });
    if (err) return err;
    if (old) old.erased = true; // the new item is written first, then the old one erased
    return 0;
  }

  erase(namespace: number, key: string): number {
    const item = this.#find(namespace, key);
    if (!item) return ESP_ERR_NVS_NOT_FOUND;
    this.#beforeWrite(2); // the entry state bitmap
    item.erased = true;
    return 0;
  }

  keys(namespace: number): string[] {
    const keys: string[] = [];
    for (const page of this.#pages) for (const item of page.items) if (!item.erased && item.namespace === namespace) keys.push(item.key);
    return keys;
  }

  /** Live bytes-in-entries, for tests that reason about space. */
  get usedEntries(): number {
    let used = 0;
    for (const page of this.#pages) for (const item of page.items) if (!item.erased) used += item.span;
    return used;
  }

  /** Storage::writeItem: the active page, else one new page (Page::writeItem says PAGE_FULL twice: no space). */
  #write(item: Item): number {
    this.#beforeWrite(item.span * ENTRY_BYTES);
    if (this.#fits(item)) return 0;
    const page = this.#pages.at(-1);
    if (page) page.full = true;
    const err = this.#requestNewPage();
    if (err) return err;
    return this.#fits(item) ? 0 : ESP_ERR_NVS_NOT_ENOUGH_SPACE;
  }

  #fits(item: Item): boolean {
    const page = this.#pages.at(-1);
    if (!page || page.full || page.next + item.span > NVS_ENTRIES_PER_PAGE) return false;
    page.items.push(item);
    page.next += item.span;
    return true;
  }

  /** PageManager::requestNewPage: a free page while two remain, else collect the emptiest full page. */
  #requestNewPage(): number {
    if (this.#freePages >= 2) {
      this.#freePages--;
      this.#pages.push({ items: [], next: 0, full: false });
      return 0;
    }
    let victim: Page | undefined;
    let most = 0;
    for (const page of this.#pages) {
      const used = page.items.reduce((n, i) => n + (i.erased ? 0 : i.span), 0);
      if (NVS_ENTRIES_PER_PAGE - used > most) {
        most = NVS_ENTRIES_PER_PAGE - used;
        victim = page;
      }
    }
    if (!victim) return ESP_ERR_NVS_NOT_ENOUGH_SPACE;
    const live = victim.items.filter((i) => !i.erased);
    this.#pages.splice(this.#pages.indexOf(victim), 1);
    this.#pages.push({ items: live, next: live.reduce((n, i) => n + i.span, 0), full: false });
    this.collections++;
    return 0;
  }
}
