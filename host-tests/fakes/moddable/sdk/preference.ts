// Emulator of the Moddable SDK's `preference` on ESP32: modules/files/preference/preference.js and
// esp32/modPreference.c, over the emulated NVS (../esp-nvs.ts) of the board's 16 KB "nvs" partition.
//
// Contract kept (modPreference.c):
// - set(domain, key, value): the domain opens read-write (a new one costs an NVS entry); a domain
//   NVS refuses (over 15 bytes, or no space) → Error "nvs_open fail". The key goes through a 64-byte
//   buffer: 64 bytes or more → RangeError "cannot buffer string"; 16 to 63 bytes → NVS refuses it:
//   Error "nvs set fail". Booleans are stored as u8, integers as i32, strings as NVS strings (at most
//   3999 bytes of UTF-8), ArrayBuffers as blobs; a number that is not a 32-bit integer → Error "float
//   unsupported"; anything else → Error "unsupported type". The old value is erased *before* the new
//   one is written, so a set that fails (no space) has lost the old value. Any NVS error → Error
//   "nvs set fail".
// - get(domain, key): the key's 64-byte buffer as above; an unknown domain or key → undefined;
//   otherwise the value with the type it was stored with.
// - delete(domain, key): both through 64-byte buffers; a domain NVS cannot open → nothing happens;
//   other NVS errors → Error "nvs erase fail".
// - keys(domain): the keys of the domain, [] when there is none.
import { currentDevice } from '../esp32-device';
import { ESP_ERR_NVS_NOT_FOUND, ESP_ERR_NVS_TYPE_MISMATCH, type NvsType } from '../esp-nvs';
import { toCString, toStringBuffer } from '../xs-values';

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

export default class Preference {
  static set(domain: unknown, name: unknown, value: unknown): void {
    const nvs = currentDevice().nvs;
    const opened = nvs.open(toCString(domain), true);
    if (opened.err) throw new Error('nvs_open fail');
    const key = toStringBuffer(name, 64);
    let type: NvsType;
    let stored: number | string;
    if (typeof value === 'boolean') {
      type = 'u8';
      stored = value ? 1 : 0;
    } else if (typeof value === 'number') {
      if (!Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) throw new Error('float unsupported');
      type = 'i32';
      stored = value;
    } else if (typeof value === 'string') {
      type = 'str';
      stored = value;
    } else if (value instanceof ArrayBuffer) {
      throw new Error('emulator: NVS blobs (Preference values that are ArrayBuffers) are not modelled');
    } else {
      throw new Error('unsupported type');
    }
    nvs.erase(opened.namespace!, key); // ERASE_KEY: the old value goes first, whatever follows
    if (nvs.set(opened.namespace!, key, type, stored)) throw new Error('nvs set fail');
  }

  static get(domain: unknown, name: unknown): boolean | number | string | undefined {
    const key = toStringBuffer(name, 64);
    const nvs = currentDevice().nvs;
    const opened = nvs.open(toCString(domain), false);
    if (opened.err) return undefined;
    let err = 0;
    for (const type of ['u8', 'i32', 'str'] as NvsType[]) {
      const found = nvs.get(opened.namespace!, key, type);
      if (!found.err) return type === 'u8' ? found.value === 1 : found.value;
      err = found.err;
    }
    if (err === ESP_ERR_NVS_NOT_FOUND || err === ESP_ERR_NVS_TYPE_MISMATCH) return undefined;
    throw new Error('nvs get fail');
  }

  static delete(domain: unknown, name: unknown): void {
    const domainName = toStringBuffer(domain, 64);
    const key = toStringBuffer(name, 64);
    const nvs = currentDevice().nvs;
    const opened = nvs.open(domainName, true);
    if (opened.err) return;
    const err = nvs.erase(opened.namespace!, key);
    if (err && err !== ESP_ERR_NVS_NOT_FOUND) throw new Error('nvs erase fail');
  }

  static keys(domain: unknown): string[] {
    const nvs = currentDevice().nvs;
    const opened = nvs.open(toCString(domain), false);
    return opened.err ? [] : nvs.keys(opened.namespace!);
  }
}
Object.freeze(Preference.prototype);
