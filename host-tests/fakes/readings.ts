// Altimeter readings made up for outbox tests: reading n is taken n seconds after a fixed instant.
import type { AltitudeReading } from '../../src/sensor/altimeter';

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
