// Topic names and payloads (DESIGN.md §3). Every topic starts with the device id.
import type { AltitudeReading } from '../sensor/altimeter';
import type { EmergencyKind } from './emergency';
import { printed, type TelemetryRecord } from './telemetry-record';

export interface Topics {
  /** The first level of every topic. */
  deviceId: string;
  altitude: string;
  telemetry: string;
  emergency: string;
  status: string;
  info: string;
  reply: string;
  /** Update progress (when the build has an updater). */
  ota: string;
  /** Subscription filter for commands: <id>/cmd/+ */
  commands: string;
  commandPrefix: string;
}

/**
 * Is `text` a device id: one topic level that is also a safe broker username (no wildcard, "/",
 * "$", ":" of Mosquitto's password file, or space)? The config, the access policy, update manifests
 * and the host commands all check ids with this one rule.
 */
export function isDeviceId(text: string): boolean {
  return /^[A-Za-z0-9_-]{1,32}$/.test(text);
}

export function topicsFor(deviceId: string): Topics {
  return {
    deviceId,
    altitude: `${deviceId}/altitude`,
    telemetry: `${deviceId}/telemetry`,
    emergency: `${deviceId}/emergency`,
    status: `${deviceId}/status`,
    info: `${deviceId}/info`,
    reply: `${deviceId}/reply`,
    ota: `${deviceId}/ota`,
    commands: `${deviceId}/cmd/+`,
    commandPrefix: `${deviceId}/cmd/`,
  };
}

/** Every topic the node publishes under its id (the broker's access policy grants exactly these). */
export function publishedTopics(topics: Topics): string[] {
  return [topics.altitude, topics.telemetry, topics.emergency, topics.status, topics.info, topics.reply, topics.ota];
}

/** A number for JSON, rounded to `decimals`, or null when there is none (a fault). */
function num(value: number, decimals: number): string {
  return value === value ? String(Math.round(value * 10 ** decimals) / 10 ** decimals) : 'null';
}

/** The plain altitude a one-line subscriber prints: metres with one decimal, e.g. "1523.4". */
export function altitudePayload(reading: AltitudeReading): string {
  return num(reading.altitudeM, 1);
}

/**
/**
 * When a reading was taken: `"ts":<ms since the epoch>`, or, while the device does not know the date
 * yet (no SNTP answer since it started), `"ts":null,"upMs":<ms since it started>` — never a made-up
 * date.
 */
export interface ReadingTime {
  epochMs: number | undefined;
  uptimeMs: number;
}

/**
 * Telemetry JSON from the record the outbox keeps (telemetry-record.ts), so a reading replayed after
 * a power loss prints exactly as it did when it was taken. `boot` and `seq` together are unique and
 * ordered across restarts and power losses.
 */
export function telemetryPayload(r: TelemetryRecord): string {
  const time = r.tsMs === r.tsMs ? `"ts":${r.tsMs}` : r.upMs === r.upMs ? `"ts":null,"upMs":${r.upMs}` : '"ts":null';
  return `{"boot":${r.boot},"seq":${r.seq},${time},"alt":${printed(r.altDm, 10)},` +
    `"vs":${printed(r.vsCmps, 100)},"p":${printed(r.pressureDpa, 10)},"t":${printed(r.temperatureCc, 100)},"q":"${r.quality}"}`;
}

export function emergencyPayload(kind: EmergencyKind, active: boolean, seq: number, reading: AltitudeReading, message: string, time: ReadingTime): string {
  return JSON.stringify({
    active,
    kind,
    seq,
    ts: time.epochMs === undefined ? null : Math.round(time.epochMs),
    ...(time.epochMs === undefined ? { upMs: Math.round(time.uptimeMs) } : {}),
    alt: reading.altitudeM === reading.altitudeM ? Math.round(reading.altitudeM * 10) / 10 : null,
    vs: reading.verticalSpeedMps === reading.verticalSpeedMps ? Math.round(reading.verticalSpeedMps * 100) / 100 : null,
    msg: message,
  });
}
