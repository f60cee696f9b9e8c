// The outbox's 29-byte telemetry record on flash: its bytes are a format a node reads back after a
// power loss (and after an update), so they are pinned here, byte for byte, for a reading with every
// field set and for a fault with every field missing.
import { describe, expect, it } from 'vitest';
import type { AltitudeReading } from '../../src/sensor/altimeter';
import { TELEMETRY_BODY_BYTES, TelemetryRecord } from '../../src/app/telemetry-record';

const full = { timestampMs: 1_800_000_123_456, pressurePa: 84321.37, temperatureC: -12.34, altitudeM: -1523.44, verticalSpeedMps: 2.345, quality: 'degraded' } as AltitudeReading;
const fault = { timestampMs: NaN, pressurePa: NaN, temperatureC: NaN, altitudeM: NaN, verticalSpeedMps: NaN, quality: 'fault' } as AltitudeReading;

describe('TelemetryRecord on flash', () => {
  it('writes a full reading as boot | seq | ts u48 | alt dm | vs cm/s | p dPa | t c°C | quality, little-endian', () => {
    const bytes = new Uint8Array(TELEMETRY_BODY_BYTES + 3);
    new TelemetryRecord().fromReading(0xfffffffe, 7, full).encode(bytes, 3);
    expect([...bytes.subarray(3)]).toEqual([254, 255, 255, 255, 7, 0, 0, 0, 64, 50, 94, 24, 163, 1, 126, 196, 255, 255, 235, 0, 0, 0, 206, 221, 12, 0, 46, 251, 1]);
    const back = new TelemetryRecord();
    expect(back.decode(bytes, 3)).toBe(true);
    expect({ ...back, quality: back.quality }).toMatchObject({ boot: 0xfffffffe, seq: 7, tsMs: 1_800_000_123_456, altDm: -15234, vsCmps: 235, pressureDpa: 843214, temperatureCc: -1234, quality: 'degraded' });
  });

  it('writes missing values as their sentinels, read back as missing', () => {
    const bytes = new Uint8Array(TELEMETRY_BODY_BYTES);
    const record = new TelemetryRecord();
    record.fromReading(1, 2, fault).encode(bytes);
    expect([...bytes]).toEqual([1, 0, 0, 0, 2, 0, 0, 0, 255, 255, 255, 255, 255, 255, 0, 0, 0, 128, 0, 0, 0, 128, 0, 0, 0, 128, 0, 128, 2]);
    // The same record encodes into another buffer as well (the view it keeps follows the buffer).
    const other = new Uint8Array(TELEMETRY_BODY_BYTES);
    record.encode(other);
    expect([...other]).toEqual([...bytes]);
    const back = new TelemetryRecord();
    expect(back.decode(bytes)).toBe(true);
    expect(back.tsMs).toBeNaN();
    expect(back.quality).toBe('fault');
  });
});
