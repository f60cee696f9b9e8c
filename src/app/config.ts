// The node's settings: defaults, whole-object validation with errors a person can act on, partial
// updates (the `config` command), and persistence through the store port. A change is validated as
// a whole before anything is stored or applied: a bad one changes nothing.
import type { KeyValueStore } from '../ports';
import { isDeviceId } from './topics';

export interface EmergencyConfig {
  /** Descent faster than this (m/s) for `rapidDescentForS` raises rapid-descent. */
  rapidDescentMps: number;
  rapidDescentForS: number;
  /** Flying level below this height (m) for `lowAltitudeForS` while airborne raises low-altitude. */
  lowAltitudeM: number;
  lowAltitudeForS: number;
  /** A descent faster than this (m/s) … */
  crashDescentMps: number;
  /** … followed within `crashWindowS` by a stop (|vs| below `crashStopMps`) … */
  crashStopMps: number;
  crashWindowS: number;
  /** … at least this abrupt (m/s²; a burner manages ~0.5) is a crash, at any height. */
  crashDecelerationMps2: number;
  /** A crash stays active until the balloon has climbed this far above where it stopped (m). */
  crashClearClimbM: number;
  /** Sensor faults for this long raise sensor-fault. */
  sensorFaultForS: number;
  /** A condition must be gone this long before its emergency clears (no flapping). */
  clearAfterS: number;
}

export interface NodeConfig {
  /** Device id: the first level of every topic. */
  deviceId: string;
  sampleIntervalMs: number;
  altitudeQos: 0 | 1;
  altitudeRetain: boolean;
  /** Reference pressure (QNH) in Pa; null zeroes at the launch site (first reading or `zero`). */
  referencePa: number | null;
  /** Readings kept waiting at most while the broker is unreachable (the flash log holds about 25,000). */
  outboxSize: number;
  /** Publish Home Assistant MQTT discovery under homeassistant/. */
  homeAssistant: boolean;
  /** Kalman process noise (m²/s³): higher follows faster, lower smooths more. */
  processNoise: number;
  emergency: EmergencyConfig;
}

export const DEFAULT_CONFIG: NodeConfig = {
  deviceId: 'sensor1',
  sampleIntervalMs: 1000,
  altitudeQos: 0,
  altitudeRetain: false,
  referencePa: null,
  outboxSize: 21_600, // six hours of telemetry at 1 Hz: the flash log holds a little more (about 25,000)
  homeAssistant: false,
  processNoise: 0.5,
  emergency: {
    rapidDescentMps: 6,
    rapidDescentForS: 5,
    lowAltitudeM: 50,
    lowAltitudeForS: 60,
    crashDescentMps: 8,
    crashStopMps: 1,
    crashWindowS: 20,
    crashDecelerationMps2: 1,
    crashClearClimbM: 30,
    sensorFaultForS: 10,
    clearAfterS: 15,
  },
};

/**
 * The largest outboxSize accepted. It was derived for an outbox held in RAM (npm run bench:device:
 * the measured cost of a waiting record within the XS memory the ESP32 has for a backlog); the
 * outbox's telemetry now waits on flash, whose log holds fewer readings than this (README "The
 * outbox on flash"), so the flash log is the tighter limit on the device.
 */
export const OUTBOX_MAX = 100_000;

export class ConfigError extends Error {
  readonly code = 'INVALID_CONFIG';
}

type Rule = { kind: 'number'; min: number; max: number; integer?: boolean } | { kind: 'boolean' } | { kind: 'qos' } | { kind: 'id' } | { kind: 'reference' };

const RULES: Record<string, Rule> = {
  deviceId: { kind: 'id' },
  sampleIntervalMs: { kind: 'number', min: 100, max: 3_600_000, integer: true },
  altitudeQos: { kind: 'qos' },
  altitudeRetain: { kind: 'boolean' },
  referencePa: { kind: 'reference' },
  outboxSize: { kind: 'number', min: 10, max: OUTBOX_MAX, integer: true },
  homeAssistant: { kind: 'boolean' },
  processNoise: { kind: 'number', min: 0.001, max: 100 },
  'emergency.rapidDescentMps': { kind: 'number', min: 1, max: 50 },
  'emergency.rapidDescentForS': { kind: 'number', min: 0, max: 600 },
  'emergency.lowAltitudeM': { kind: 'number', min: 0, max: 5000 },
  'emergency.lowAltitudeForS': { kind: 'number', min: 0, max: 3600 },
  'emergency.crashDescentMps': { kind: 'number', min: 2, max: 100 },
  'emergency.crashStopMps': { kind: 'number', min: 0.1, max: 10 },
  'emergency.crashWindowS': { kind: 'number', min: 1, max: 600 },
  'emergency.crashDecelerationMps2': { kind: 'number', min: 0.6, max: 100 },
  'emergency.crashClearClimbM': { kind: 'number', min: 1, max: 1000 },
  'emergency.sensorFaultForS': { kind: 'number', min: 0, max: 3600 },
  'emergency.clearAfterS': { kind: 'number', min: 0, max: 3600 },
};

function check(path: string, value: unknown, rule: Rule): string | undefined {
  switch (rule.kind) {
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return `${path} must be a number, not ${JSON.stringify(value)}`;
      if (rule.integer && !Number.isInteger(value)) return `${path} must be a whole number, not ${value}`;
      if (value < rule.min || value > rule.max) return `${path} must be between ${rule.min} and ${rule.max}, not ${value}`;
      return undefined;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `${path} must be true or false, not ${JSON.stringify(value)}`;
    case 'qos':
      return value === 0 || value === 1 ? undefined : `${path} must be 0 or 1, not ${JSON.stringify(value)}`;
    case 'reference':
      if (value === null) return undefined;
      if (typeof value !== 'number' || !(value >= 30_000 && value <= 110_000)) {
        return `${path} must be a pressure in Pa between 30000 and 110000 (a QNH), or null to zero at the launch site; not ${JSON.stringify(value)}`;
      }
      return undefined;
    case 'id':
      if (typeof value !== 'string' || !isDeviceId(value)) {
        return `${path} must be 1 to 32 letters, digits, "_" or "-" (it becomes the first topic level), not ${JSON.stringify(value)}`;
      }
      return undefined;
  }
}

/** Settings earlier firmware had, and why they went: named in the refusal, dropped from a stored config. */
const RETIRED: Record<string, string> = {
  'emergency.crashNearGroundM': 'emergency.crashNearGroundM is retired: a crash is now recognised at any height, by how abruptly it stops (emergency.crashDecelerationMps2)',
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Applies a partial change to `base` and validates the result as a whole. Returns the new config or
 * throws a ConfigError listing every problem (unknown keys included): nothing is half-applied.
 */
export function mergeConfig(base: NodeConfig, change: unknown): NodeConfig {
  if (!isObject(change)) throw new ConfigError(`a config change must be a JSON object, not ${JSON.stringify(change)}`);
  const problems: string[] = [];
  const merged: NodeConfig = { ...base, emergency: { ...base.emergency } };
  for (const [key, value] of Object.entries(change)) {
    if (key === 'emergency') {
      if (!isObject(value)) {
        problems.push(`emergency must be an object, not ${JSON.stringify(value)}`);
        continue;
      }
      for (const [inner, innerValue] of Object.entries(value)) {
        const rule = RULES[`emergency.${inner}`];
        if (!rule) problems.push(RETIRED[`emergency.${inner}`] ?? `unknown setting emergency.${inner}`);
        else (merged.emergency as unknown as Record<string, unknown>)[inner] = innerValue;
      }
    } else if (!RULES[key]) {
      problems.push(`unknown setting ${key}`);
    } else {
      (merged as unknown as Record<string, unknown>)[key] = value;
    }
  }
  for (const [path, rule] of Object.entries(RULES)) {
    const value = path.startsWith('emergency.') ? (merged.emergency as unknown as Record<string, unknown>)[path.slice(10)] : (merged as unknown as Record<string, unknown>)[path];
    const problem = check(path, value, rule);
    if (problem) problems.push(problem);
  }
  if (problems.length > 0) throw new ConfigError(`invalid config: ${problems.join('; ')}`);
  return merged;
}

const STORE_KEY = 'config';

/** The stored config (over the defaults), or the defaults when nothing valid is stored. */
export function loadConfig(store: KeyValueStore, defaults: NodeConfig = DEFAULT_CONFIG): { config: NodeConfig; warning?: string } {
  const stored = store.get(STORE_KEY);
  if (stored === undefined) return { config: defaults };
  try {
    const change = JSON.parse(stored) as unknown;
    // A setting a firmware update retired is dropped, not a reason to lose the others.
    const retired: string[] = [];
    if (isObject(change) && isObject(change.emergency)) {
      for (const key of Object.keys(change.emergency)) {
        if (RETIRED[`emergency.${key}`]) {
          retired.push(RETIRED[`emergency.${key}`]);
          delete change.emergency[key];
        }
      }
    }
    const config = mergeConfig(defaults, change);
    return retired.length ? { config, warning: `stored config: ${retired.join('; ')} (dropped)` } : { config };
  } catch (error) {
    return { config: defaults, warning: `stored config ignored (${(error as Error).message}); using defaults` };
  }
}

/** Stores only what differs from the defaults, so a firmware update can change a default. */
export function saveConfig(store: KeyValueStore, config: NodeConfig, defaults: NodeConfig = DEFAULT_CONFIG): void {
  const diff: Record<string, unknown> = {};
  for (const key of Object.keys(config) as (keyof NodeConfig)[]) {
    if (key === 'emergency') {
      const inner: Record<string, unknown> = {};
      for (const k of Object.keys(config.emergency) as (keyof EmergencyConfig)[]) {
        if (config.emergency[k] !== defaults.emergency[k]) inner[k] = config.emergency[k];
      }
      if (Object.keys(inner).length) diff.emergency = inner;
    } else if (config[key] !== defaults[key]) {
      diff[key] = config[key];
    }
  }
  store.set(STORE_KEY, JSON.stringify(diff));
}
