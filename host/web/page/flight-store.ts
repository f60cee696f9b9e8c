// The whole flight in memory, as the page received it: one typed-array column per quantity, kept in
// time order, grown by doubling. 24 hours at 1 Hz is 86,400 rows of 49 bytes: about 4 MB at the
// capacity it grows to, in seven long-lived arrays the garbage collector never walks, where one
// object per reading would be ten times that and slow every collection.
//
// Readings are telemetry messages {seq, ts, alt, vs, p, t, q[, boot]}. A reading is the same one
// when it has the same boot (if the node sends it) and seq: QoS 1 may deliver a message twice
// (a resend after a reconnect), and a persistent session's backlog can overlap what was already
// shown. A duplicate is found by a binary search on its time, so it costs no index and no
// allocation. Readings that arrive late (a backlog) go to their place in time.
//
// The CSV export is the format `npm start -- --flight FILE.csv` replays: `t_s,altitude_m[,temperature_c]`,
// t_s in seconds from the first exported reading.

import { MinMaxIndex } from './min-max-index';

export type Quality = 'ok' | 'degraded' | 'fault';
const QUALITIES: Quality[] = ['ok', 'degraded', 'fault'];

export interface Reading {
  seq: number;
  /** Node time of the reading, ms since the epoch. */
  ts: number;
  /** Metres above the node's reference, NaN when the sensor had none (a fault). */
  alt: number;
  vs: number;
  p: number;
  t: number;
  q: Quality;
  /** Which boot of the node took it (seq restarts at a power loss), when the node says. */
  boot?: string | number;
}

export type AddResult = 'appended' | 'inserted' | 'duplicate';

const INITIAL_CAPACITY = 4096;

export class FlightStore {
  length = 0;
  /** Changes whenever the rows change: the chart redraws when it differs from the last one drawn. */
  version = 0;
  /** Readings received twice and dropped. */
  duplicates = 0;
  /** Readings missing between neighbours of the same boot (a gap in seq). */
  missing = 0;
  /** Seconds since the epoch (the chart's x). */
  time = new Float64Array(INITIAL_CAPACITY);
  altitude = new Float64Array(INITIAL_CAPACITY);
  verticalSpeed = new Float64Array(INITIAL_CAPACITY);
  temperature = new Float64Array(INITIAL_CAPACITY);
  pressure = new Float64Array(INITIAL_CAPACITY);
  seq = new Float64Array(INITIAL_CAPACITY);
  boot = new Uint16Array(INITIAL_CAPACITY);
  quality = new Uint8Array(INITIAL_CAPACITY);
  /** Boot labels the node sent, by their index in `boot` (0: the node sends none). */
  readonly #boots: (string | number | undefined)[] = [undefined];
  /** What the plot draws of the rows: minima and maxima per block (min-max-index.ts), kept in step with them. */
  readonly summary = new MinMaxIndex(this);

  get capacity(): number {
    return this.time.length;
  }

  /** Bytes the columns and their plot summary take (what the flight costs in memory). */
  get bytes(): number {
    return this.capacity * (6 * 8 + 2 + 1) + this.summary.bytes;
  }

  qualityAt(i: number): Quality {
    return QUALITIES[this.quality[i]];
  }

  /** Adds a reading where it belongs in time, unless it is one we have. */
  add(reading: Reading): AddResult {
    const timeS = reading.ts / 1000;
    const boot = this.#bootIndex(reading.boot);
    const n = this.length;
    let at = n;
    if (n > 0 && timeS <= this.time[n - 1]) {
      at = this.#firstAtOrAfter(timeS);
      for (let i = at; i < n && this.time[i] === timeS; i++) {
        if (this.seq[i] === reading.seq && this.boot[i] === boot) {
          this.duplicates++;
          return 'duplicate';
        }
      }
      while (at < n && this.time[at] === timeS) at++; // equal times keep their arrival order
    }
    if (n === this.capacity) this.#grow();
    if (at < n) this.#openGap(at);
    this.time[at] = timeS;
    this.altitude[at] = reading.alt;
    this.verticalSpeed[at] = reading.vs;
    this.temperature[at] = reading.t;
    this.pressure[at] = reading.p;
    this.seq[at] = reading.seq;
    this.boot[at] = boot;
    this.quality[at] = Math.max(0, QUALITIES.indexOf(reading.q));
    this.length = n + 1;
    this.version++;
    this.summary.changed(at);
    if (at === n) {
      if (n > 0 && this.boot[n - 1] === boot && reading.seq > this.seq[n - 1] + 1) this.missing += reading.seq - this.seq[n - 1] - 1;
      return 'appended';
    }
    this.missing = this.#countMissing(); // a backlog filled (part of) a gap: count again (rare)
    return 'inserted';
  }

  /** Index of the first row at or after `timeS`. */
  #firstAtOrAfter(timeS: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.time[mid] < timeS) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first row at or after `timeS` (for the chart's visible window). */
  indexAt(timeS: number): number {
    return this.#firstAtOrAfter(timeS);
  }

  #countMissing(): number {
    let missing = 0;
    for (let i = 1; i < this.length; i++) {
      if (this.boot[i] === this.boot[i - 1] && this.seq[i] > this.seq[i - 1] + 1) missing += this.seq[i] - this.seq[i - 1] - 1;
    }
    return missing;
  }

  #bootIndex(boot: string | number | undefined): number {
    if (boot === undefined || boot === null) return 0;
    const known = this.#boots.indexOf(boot);
    if (known >= 0) return known;
    this.#boots.push(boot);
    return this.#boots.length - 1;
  }

  #columns(): (Float64Array | Uint16Array | Uint8Array)[] {
    return [this.time, this.altitude, this.verticalSpeed, this.temperature, this.pressure, this.seq, this.boot, this.quality];
  }

  #grow(): void {
    const capacity = this.capacity * 2;
    const f64 = (column: Float64Array) => {
      const bigger = new Float64Array(capacity);
      bigger.set(column);
      return bigger;
    };
    this.time = f64(this.time);
    this.altitude = f64(this.altitude);
    this.verticalSpeed = f64(this.verticalSpeed);
    this.temperature = f64(this.temperature);
    this.pressure = f64(this.pressure);
    this.seq = f64(this.seq);
    const boot = new Uint16Array(capacity);
    boot.set(this.boot);
    this.boot = boot;
    const quality = new Uint8Array(capacity);
    quality.set(this.quality);
    this.quality = quality;
  }

  #openGap(at: number): void {
    for (const column of this.#columns()) column.copyWithin(at + 1, at, this.length);
  }

  /**
   * The flight as CSV for `npm start -- --flight FILE.csv` (src/sim/recorded-flight.ts reads it):
   * readings without an altitude are left out, and so is a reading at the same millisecond as the one
   * before (time must increase there); the temperature column only when every reading has an air
   * temperature (-80 to 60 °C), else the replay takes the standard atmosphere's.
   */
  toCsv(): string {
    const rows: number[] = [];
    let withTemperature = true;
    let lastMs = -Infinity;
    for (let i = 0; i < this.length; i++) {
      const ms = Math.round(this.time[i] * 1000);
      if (this.altitude[i] !== this.altitude[i] || ms <= lastMs) continue;
      lastMs = ms;
      rows.push(i);
      const t = this.temperature[i];
      if (!(t >= -80 && t <= 60)) withTemperature = false;
    }
    const lines = [withTemperature ? 't_s,altitude_m,temperature_c' : 't_s,altitude_m'];
    const t0 = rows.length > 0 ? Math.round(this.time[rows[0]] * 1000) : 0;
    for (const i of rows) {
      const t = String((Math.round(this.time[i] * 1000) - t0) / 1000);
      const alt = String(Math.round(this.altitude[i] * 10) / 10);
      lines.push(withTemperature ? `${t},${alt},${Math.round(this.temperature[i] * 100) / 100}` : `${t},${alt}`);
    }
    return `${lines.join('\n')}\n`;
  }
}

/** Reads a telemetry payload; undefined (and a reason) when it is not one. */
export function parseTelemetry(text: string): { reading: Reading } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: `telemetry is not JSON: ${text.slice(0, 80)}` };
  }
  const r = value as Record<string, unknown>;
  if (typeof r !== 'object' || r === null || typeof r.seq !== 'number' || typeof r.ts !== 'number') {
    return { error: `telemetry without a numeric seq and ts: ${text.slice(0, 80)}` };
  }
  const num = (v: unknown) => (typeof v === 'number' ? v : NaN);
  const q = r.q === 'ok' || r.q === 'degraded' || r.q === 'fault' ? r.q : 'fault';
  const boot = typeof r.boot === 'number' || typeof r.boot === 'string' ? r.boot : undefined;
  return { reading: { seq: r.seq, ts: r.ts, alt: num(r.alt), vs: num(r.vs), p: num(r.p), t: num(r.t), q, boot } };
}
