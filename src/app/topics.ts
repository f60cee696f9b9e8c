// Topic names and payloads (DESIGN.md §3). Every topic starts with the device id.
import type { AltitudeReading } from '../sensor/altimeter';
import type { EmergencyKind } from './emergency';

export interface Topics {
  altitude: string;
  telemetry: string;
  emergency: string;
  status: string;
  info: string;
  reply: string;
  /** Subscription filter for commands: <id>/cmd/+ */
  commands: string;
  commandPrefix: string;
}

export function topicsFor(deviceId: string): Topics {
  return {
    altitude: `${deviceId}/altitude`,
    telemetry: `${deviceId}/telemetry`,
    emergency: `${deviceId}/emergency`,
    status: `${deviceId}/status`,
    info: `${deviceId}/info`,
    reply: `${deviceId}/reply`,
    commands: `${deviceId}/cmd/+`,
    commandPrefix: `${deviceId}/cmd/`,
  };
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
 * When a reading was taken: `"ts":<ms since the epoch>`, or, while the device does not know the date
 * yet (no SNTP answer since it started), `"ts":null,"upMs":<ms since it started>` — never a made-up
 * date.
 */
export interface ReadingTime {
  epochMs: number | undefined;
  uptimeMs: number;
}

function timeFields(time: ReadingTime): string {
  return time.epochMs === undefined ? `"ts":null,"upMs":${Math.round(time.uptimeMs)}` : `"ts":${Math.round(time.epochMs)}`;
}

export function telemetryPayload(seq: number, reading: AltitudeReading, time: ReadingTime): string {
  return `{"seq":${seq},${timeFields(time)},"alt":${num(reading.altitudeM, 1)},"vs":${num(reading.verticalSpeedMps, 2)},` +
    `"p":${num(reading.pressurePa, 1)},"t":${num(reading.temperatureC, 2)},"q":"${reading.quality}"}`;
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
