// The emergency settings this firmware changed: the new crash thresholds are validated, and a setting
// an earlier firmware stored but this one retired is explained, never a reason to lose the others.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, loadConfig, mergeConfig } from '../../src/app/config';
import { MemoryStore } from '../fakes/memory-store';

describe('emergency settings', () => {
  it('refuses a crash deceleration a burner could give: it would call a gradual arrest a crash', () => {
    expect(() => mergeConfig(DEFAULT_CONFIG, { emergency: { crashDecelerationMps2: 0.5 } })).toThrow('emergency.crashDecelerationMps2 must be between 0.6 and 100, not 0.5');
    expect(mergeConfig(DEFAULT_CONFIG, { emergency: { crashDecelerationMps2: 3, crashClearClimbM: 50 } }).emergency).toMatchObject({ crashDecelerationMps2: 3, crashClearClimbM: 50 });
  });

  it('explains that crashNearGroundM is retired when a config command sets it', () => {
    expect(() => mergeConfig(DEFAULT_CONFIG, { emergency: { crashNearGroundM: 30 } })).toThrow(/emergency\.crashNearGroundM is retired: a crash is now recognised at any height/);
  });

  it('drops crashNearGroundM from a stored config and keeps every other stored setting', () => {
    const store = new MemoryStore();
    store.set('config', JSON.stringify({ outboxSize: 50, emergency: { crashNearGroundM: 30, rapidDescentMps: 5 } }));
    const { config, warning } = loadConfig(store);
    expect(config.outboxSize).toBe(50);
    expect(config.emergency.rapidDescentMps).toBe(5);
    expect(warning).toMatch(/^stored config: emergency\.crashNearGroundM is retired: .* \(dropped\)$/);
  });
});
