// Preference over NVS as the emulator keeps it (modules/files/preference/esp32/modPreference.c over
// ESP-IDF nvs_flash), and the firmware's key/value store (src/platform/moddable/preference-store.ts)
// on top of it: what survives a restart has to fit the board's 16 KB "nvs" partition.
import { beforeEach, describe, expect, it } from 'vitest';
import Preference from '../fakes/moddable/sdk/preference';
import { PREFERENCE_VALUE_LIMIT, preferenceStore } from '../../src/platform/moddable/preference-store';
import { Esp32Device, installDevice } from '../fakes/moddable/esp32-device';
import { thrown } from '../support/thrown';

let device: Esp32Device;
beforeEach(() => {
  device = installDevice(new Esp32Device());
});
const failure = (action: () => unknown) => thrown(action, Error);

describe('Preference (modPreference.c over NVS)', () => {
  it('keeps booleans, 32-bit integers and strings with their types; an unknown domain or key reads undefined', () => {
    Preference.set('app', 'flag', true);
    Preference.set('app', 'count', -12);
    Preference.set('app', 'name', 'ballon ✈');
    expect([Preference.get('app', 'flag'), Preference.get('app', 'count'), Preference.get('app', 'name')]).toEqual([true, -12, 'ballon ✈']);
    expect(Preference.get('app', 'missing')).toBeUndefined();
    expect(Preference.get('other', 'flag')).toBeUndefined();
    expect(Preference.keys('app')).toEqual(['flag', 'count', 'name']);
    Preference.delete('app', 'count');
    Preference.delete('app', 'count'); // already gone: not an error
    expect(Preference.get('app', 'count')).toBeUndefined();
  });

  it('refuses keys NVS cannot hold: 16 to 63 bytes fail in NVS ("nvs set fail"), 64 and more do not fit the C buffer', () => {
    expect(() => Preference.set('app', 'k'.repeat(15), 1)).not.toThrow();
    expect(failure(() => Preference.set('app', 'k'.repeat(16), 1)).message).toBe('nvs set fail');
    expect(thrown(() => Preference.set('app', 'k'.repeat(64), 1), RangeError).message).toBe('cannot buffer string');
    expect(thrown(() => Preference.get('app', 'k'.repeat(64)), RangeError).message).toBe('cannot buffer string');
  });

  it('refuses a domain (NVS namespace) longer than 15 bytes: "nvs_open fail"', () => {
    expect(failure(() => Preference.set('a-domain-of-16ch', 'key', 1)).message).toBe('nvs_open fail');
    expect(Preference.get('a-domain-of-16ch', 'key')).toBeUndefined();
  });

  it('refuses strings of 4000 bytes or more (the NUL must fit a page: ESP_ERR_NVS_VALUE_TOO_LONG), counting UTF-8 bytes, not characters', () => {
    expect(() => Preference.set('app', 'text', 'a'.repeat(3999))).not.toThrow();
    expect(failure(() => Preference.set('app', 'text', 'a'.repeat(4000))).message).toBe('nvs set fail');
    expect(failure(() => Preference.set('app', 'text', 'é'.repeat(2000))).message).toBe('nvs set fail'); // 4000 bytes
  });

  it('refuses numbers that are not 32-bit integers and values of other types', () => {
    expect(failure(() => Preference.set('app', 'x', 1.5)).message).toBe('float unsupported');
    expect(failure(() => Preference.set('app', 'x', 2 ** 31)).message).toBe('float unsupported');
    expect(failure(() => Preference.set('app', 'x', null)).message).toBe('unsupported type');
    expect(failure(() => Preference.set('app', 'x', { a: 1 })).message).toBe('unsupported type');
    expect(failure(() => Preference.set('app', 'x', new Uint8Array(2))).message).toBe('unsupported type'); // only an ArrayBuffer is a blob
  });

  it('erases the old value before writing the new one: a set that fails for lack of space has lost the old value', () => {
    Preference.set('app', 'keep', 'old value');
    let filled = 0;
    try {
      for (;;) Preference.set('app', `fill${filled++}`, 'x'.repeat(3000));
    } catch (error) {
      expect((error as Error).message).toBe('nvs set fail'); // ESP_ERR_NVS_NOT_ENOUGH_SPACE
    }
    expect(filled).toBeGreaterThan(2);
    expect(failure(() => Preference.set('app', 'keep', 'y'.repeat(3000))).message).toBe('nvs set fail');
    expect(Preference.get('app', 'keep')).toBeUndefined();
  });
});

describe('the firmware key/value store over Preference (preference-store.ts)', () => {
  it('stores values up to its limit in pieces NVS accepts, and they fit the 16 KB partition next to the config, rewritten again and again', () => {
    const store = preferenceStore('altimeter');
    store.set('config', JSON.stringify({ deviceId: 'sensor1', sampleIntervalMs: 500, emergency: { rapidDescentMps: 5 } }));
    const state = JSON.stringify({ seq: 99, note: 'p'.repeat(PREFERENCE_VALUE_LIMIT - 30) });
    expect(state.length).toBeLessThanOrEqual(PREFERENCE_VALUE_LIMIT);
    for (let round = 0; round < 10; round++) {
      store.set('state', state); // the largest value, rewritten
      store.set('ota-pending', '{"version":"1.2.0","previousVersion":"1.1.0"}');
      expect(store.get('state')).toBe(state);
    }
    expect(device.nvs.collections).toBeGreaterThan(0); // NVS had to reclaim erased entries
    expect(store.get('config')).toContain('sensor1');
  });

  it('refuses a value over its limit with a reason, and keeps what was stored', () => {
    const store = preferenceStore('altimeter');
    store.set('state', 'before');
    expect(() => store.set('state', 'x'.repeat(PREFERENCE_VALUE_LIMIT + 1))).toThrow(/the device store holds at most/);
    expect(store.get('state')).toBe('before');
  });

  it('round-trips every byte value as a character', () => {
    const store = preferenceStore('altimeter');
    const bytes = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
    store.set('state', bytes.repeat(10));
    expect(store.get('state')).toBe(bytes.repeat(10));
  });
});
