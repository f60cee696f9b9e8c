// One telemetry reading as the outbox keeps it on flash: the numbers the payload prints, already
// rounded to the payload's decimals and held as integers, so the JSON made when the reading is taken
// and the JSON made when it is replayed after a power loss are the same bytes. 29 bytes:
//   boot u32 | seq u32 | ts ms u48 | alt dm i32 | vs cm/s i32 | p dPa i32 | t c°C i16 | quality u8
// (little-endian). A missing value (a fault, or no time yet) is stored as a sentinel and printed null.

import type { AltitudeReading, Quality } from '../sensor/altimeter';

export const TELEMETRY_BODY_BYTES = 29;

const NONE_I32 = -0x80000000;
const NONE_I16 = -0x8000;
const NONE_TS = 0xffff_ffff_ffff; // 2^48 - 1
const QUALITIES: readonly Quality[] = ['ok', 'degraded', 'fault'];

/**
 * value × scale rounded, or the sentinel (printed null) when there is none (NaN) or it is beyond what
 * the field holds: ±2^31 (±214,000 km of altitude) or, for temperature, ±327 °C, far outside what the
 * altimeter lets through as a reading.
 */
function scaled(value: number, scale: number, limit = 0x7fffffff): number {
  const n = Math.round(value * scale);
  return n === n && n >= -limit && n <= limit ? n : NONE_I32;
}

function readI32(bytes: Uint8Array, at: number): number {
  return bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24);
}

export class TelemetryRecord {
  boot = 0;
  seq = 0;
  /** Milliseconds since the epoch; NaN when the clock has no time. */
  tsMs = NaN;
  altDm = NONE_I32;
  vsCmps = NONE_I32;
  pressureDpa = NONE_I32;
  temperatureCc = NONE_I32;
  quality: Quality = 'ok';

  /** Fills this record from a reading (reused: no allocation). */
  fromReading(boot: number, seq: number, reading: AltitudeReading): this {
    this.boot = boot;
    this.seq = seq;
    const ts = Math.round(reading.timestampMs);
    this.tsMs = ts >= 0 && ts < NONE_TS ? ts : NaN;
    this.altDm = scaled(reading.altitudeM, 10);
    this.vsCmps = scaled(reading.verticalSpeedMps, 100);
    this.pressureDpa = scaled(reading.pressurePa, 10);
    this.temperatureCc = scaled(reading.temperatureC, 100, 0x7fff);
    this.quality = reading.quality;
    return this;
  }

  /** A DataView of the array last encoded into, kept: the outbox encodes into one buffer every time. */
  #viewOf: Uint8Array | undefined;
  #view: DataView = new DataView(new ArrayBuffer(0));

  /** Writes the 29 bytes at `at`; each field is one native DataView store (cheaper on XS than byte stores). */
  encode(into: Uint8Array, at = 0): void {
    if (into !== this.#viewOf) {
      this.#viewOf = into;
      this.#view = new DataView(into.buffer, into.byteOffset, into.byteLength);
    }
    const view = this.#view;
    view.setUint32(at, this.boot, true);
    view.setUint32(at + 4, this.seq, true);
    const ts = this.tsMs === this.tsMs ? this.tsMs : NONE_TS;
    const high = Math.floor(ts / 0x1_0000_0000);
    view.setUint32(at + 8, ts - high * 0x1_0000_0000, true);
    view.setUint16(at + 12, high, true);
    view.setInt32(at + 14, this.altDm, true);
    view.setInt32(at + 18, this.vsCmps, true);
    view.setInt32(at + 22, this.pressureDpa, true);
    view.setInt16(at + 26, this.temperatureCc === NONE_I32 ? NONE_I16 : this.temperatureCc, true);
    into[at + 28] = QUALITIES.indexOf(this.quality);
  }

  /** Reads a record written by encode(); false when its quality byte is not one we write. */
  decode(from: Uint8Array, at = 0): boolean {
    this.boot = readI32(from, at) >>> 0;
    this.seq = readI32(from, at + 4) >>> 0;
    const ts = (readI32(from, at + 8) >>> 0) + (from[at + 12] + from[at + 13] * 256) * 0x1_0000_0000;
    this.tsMs = ts === NONE_TS ? NaN : ts;
    this.altDm = readI32(from, at + 14);
    this.vsCmps = readI32(from, at + 18);
    this.pressureDpa = readI32(from, at + 22);
    const t = ((from[at + 26] | (from[at + 27] << 8)) << 16) >> 16;
    this.temperatureCc = t === NONE_I16 ? NONE_I32 : t;
    const quality = QUALITIES[from[at + 28]];
    if (quality === undefined) return false;
    this.quality = quality;
    return true;
  }
}

/** A stored number as the payload prints it: the integer over its scale, or null. */
export function printed(value: number, scale: number): string {
  return value === NONE_I32 ? 'null' : String(value / scale);
}
