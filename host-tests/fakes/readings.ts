// Altimeter readings made up for outbox tests: reading n is taken n seconds after a fixed instant.
import type { AltitudeReading } from '../../src/sensor/altimeter';
import type { ReadingTime } from '../../src/app/topics';

export function reading(seq: number): AltitudeReading {
  return {
    timestampMs: 1_790_000_000_000 + seq * 1000,
    pressurePa: 95_000 - seq,
    temperatureC: 12.5,
    altitudeM: 500 + seq / 10,
    verticalSpeedMps: -1.25,
    quality: 'ok',
    fault: undefined,
    faultMessage: '',
  };
}

/** When reading n was taken, as the node gives it to the outbox: the date known, n seconds of uptime. */
export function readingTime(seq: number): ReadingTime {
  return { epochMs: reading(seq).timestampMs, uptimeMs: seq * 1000 };
}
