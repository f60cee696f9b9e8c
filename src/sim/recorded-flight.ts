// A recorded flight replayed through the simulated barometer (`npm start -- --flight FILE.csv`): how a
// pilot tunes the emergency thresholds against a flight that really happened.
//
// The file is CSV with a header row naming the columns, in any order:
//   t_s            seconds from the start (increasing; rows at any spacing)
//   altitude_m     altitude above the launch site (m)
//   temperature_c  optional: the air temperature at the sensor (°C); else the standard atmosphere's
// Between rows the altitude is interpolated linearly; after the last row it holds. The altitude is
// turned into the pressure the chip would see (standard atmosphere over the launch site's
// elevation), so it goes through the same chip model, noise and altimeter as a simulated flight.
// A bad file is refused whole, with the line and column of the first problem.
import { CodedError } from '../coded-error';
import { pressureAtAltitudePa, STANDARD_PRESSURE_PA } from '../sensor/altitude';
import { DEFAULT_LAUNCH_ELEVATION_M } from './flight';
import type { FlightSource } from './simulated-barometer';

export type FlightFileProblem = 'EMPTY' | 'NO_HEADER' | 'BAD_HEADER' | 'NOT_A_NUMBER' | 'OUT_OF_RANGE' | 'TIME_BACKWARDS' | 'FIELD_COUNT' | 'NO_DATA';

export class FlightFileError extends CodedError<FlightFileProblem> {
  readonly line: number;
  readonly column: number;
  constructor(code: FlightFileProblem, line: number, column: number, message: string) {
    super('FlightFileError', code, `line ${line}, column ${column}: ${message}`);
    this.line = line;
    this.column = column;
  }
}

export interface RecordedFlightData {
  timesS: Float64Array;
  altitudesM: Float64Array;
  /** Empty when the file has no temperature column. */
  temperaturesC: Float64Array;
}

const COLUMNS = ['t_s', 'altitude_m', 'temperature_c'] as const;
const EXPECTED = 't_s,altitude_m[,temperature_c]';
/** What the standard atmosphere (and so the replay) covers, above sea level (m). */
const LOWEST_M = -500;
const HIGHEST_M = 11_000;

/** Parses a flight file; throws a FlightFileError naming the line and column of the first problem. */
export function parseFlightCsv(text: string, launchElevationM = DEFAULT_LAUNCH_ELEVATION_M): RecordedFlightData {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length === 0) throw new FlightFileError('EMPTY', 1, 1, `the file is empty: expected a header row ${EXPECTED} and rows of numbers`);
  const header = lines[0].split(',').map((name) => name.trim());
  const index = { t_s: -1, altitude_m: -1, temperature_c: -1 };
  for (let column = 0; column < header.length; column++) {
    const name = header[column];
    if (column === 0 && Number.isFinite(Number(name)) && name !== '') {
      throw new FlightFileError('NO_HEADER', 1, 1, `the header row is missing: expected ${EXPECTED}, found the number ${name}`);
    }
    if (!(COLUMNS as readonly string[]).includes(name)) {
      throw new FlightFileError('BAD_HEADER', 1, column + 1, `unknown column "${name}": expected ${EXPECTED}`);
    }
    const key = name as keyof typeof index;
    if (index[key] >= 0) throw new FlightFileError('BAD_HEADER', 1, column + 1, `column "${name}" appears twice`);
    index[key] = column;
  }
  if (index.t_s < 0 || index.altitude_m < 0) {
    throw new FlightFileError('BAD_HEADER', 1, 1, `the header row must name t_s and altitude_m (expected ${EXPECTED}), not "${lines[0]}"`);
  }
  const rows = lines.length - 1;
  if (rows === 0) throw new FlightFileError('NO_DATA', 2, 1, 'no rows after the header: a flight needs at least one row of numbers');
  const data: RecordedFlightData = {
    timesS: new Float64Array(rows),
    altitudesM: new Float64Array(rows),
    temperaturesC: new Float64Array(index.temperature_c >= 0 ? rows : 0),
  };
  for (let row = 0; row < rows; row++) {
    const line = row + 2;
    const fields = lines[row + 1].split(',');
    if (fields.length !== header.length) {
      throw new FlightFileError('FIELD_COUNT', line, Math.min(fields.length, header.length) + 1, `expected ${header.length} values (${header.join(',')}), found ${fields.length}`);
    }
    const number = (column: number) => {
      const field = fields[column].trim();
      const value = Number(field);
      if (field === '' || !Number.isFinite(value)) throw new FlightFileError('NOT_A_NUMBER', line, column + 1, `${header[column]} "${field}" is not a number`);
      return value;
    };
    const t = number(index.t_s);
    if (t < 0) throw new FlightFileError('OUT_OF_RANGE', line, index.t_s + 1, `t_s ${t} is negative: times are seconds from the start`);
    if (row > 0 && t <= data.timesS[row - 1]) {
      throw new FlightFileError('TIME_BACKWARDS', line, index.t_s + 1, `t_s ${t} does not come after ${data.timesS[row - 1]} (line ${line - 1}): time must increase`);
    }
    const altitude = number(index.altitude_m);
    if (!(launchElevationM + altitude >= LOWEST_M && launchElevationM + altitude <= HIGHEST_M)) {
      throw new FlightFileError('OUT_OF_RANGE', line, index.altitude_m + 1, `altitude_m ${altitude} is outside what the replay covers (${LOWEST_M} to ${HIGHEST_M} m above sea level, from a launch site at ${launchElevationM} m)`);
    }
    data.timesS[row] = t;
    data.altitudesM[row] = altitude;
    if (index.temperature_c >= 0) {
      const temperature = number(index.temperature_c);
      if (!(temperature >= -80 && temperature <= 60)) throw new FlightFileError('OUT_OF_RANGE', line, index.temperature_c + 1, `temperature_c ${temperature} is not an air temperature (-80 to 60 °C)`);
      data.temperaturesC[row] = temperature;
    }
  }
  return data;
}

export interface ReplayedState {
  altitudeM: number;
  verticalSpeedMps: number;
  pressurePa: number;
  temperatureC: number;
  phase: string;
  sensor: 'ok';
}

/** A parsed flight file as the simulated barometer reads it. */
export class RecordedFlight implements FlightSource {
  readonly data: RecordedFlightData;
  readonly startMs: number;
  readonly launchElevationM: number;
  readonly qnhPa: number;
  #cursor = 0;
  readonly #truth: ReplayedState = { altitudeM: 0, verticalSpeedMps: 0, pressurePa: 0, temperatureC: 0, phase: 'replay', sensor: 'ok' };

  constructor(data: RecordedFlightData, startMs: number, launchElevationM = DEFAULT_LAUNCH_ELEVATION_M, qnhPa = STANDARD_PRESSURE_PA) {
    this.data = data;
    this.startMs = startMs;
    this.launchElevationM = launchElevationM;
    this.qnhPa = qnhPa;
  }

  /** Seconds the recording lasts. */
  get durationS(): number {
    return this.data.timesS[this.data.timesS.length - 1];
  }

  /** The recorded state at `nowMs` (the returned object is reused). */
  at(nowMs: number): ReplayedState {
    const { timesS, altitudesM, temperaturesC } = this.data;
    const t = (nowMs - this.startMs) / 1000;
    const last = timesS.length - 1;
    if (t < timesS[this.#cursor]) this.#cursor = 0;
    while (this.#cursor < last && timesS[this.#cursor + 1] <= t) this.#cursor++;
    const i = this.#cursor;
    const truth = this.#truth;
    let fraction = 0;
    if (i < last && t > timesS[i]) fraction = (t - timesS[i]) / (timesS[i + 1] - timesS[i]);
    truth.altitudeM = interpolate(altitudesM, i, last, fraction);
    truth.verticalSpeedMps = i < last && t >= timesS[0] ? (altitudesM[i + 1] - altitudesM[i]) / (timesS[i + 1] - timesS[i]) : 0;
    const amsl = this.launchElevationM + truth.altitudeM;
    truth.pressurePa = pressureAtAltitudePa(amsl, this.qnhPa);
    truth.temperatureC = temperaturesC.length > 0 ? interpolate(temperaturesC, i, last, fraction) : 15 - 0.0065 * amsl;
    truth.phase = t > timesS[last] ? 'replay ended (holding)' : 'replay';
    return truth;
  }
}

function interpolate(values: Float64Array, i: number, last: number, fraction: number): number {
  return i < last ? values[i] + (values[i + 1] - values[i]) * fraction : values[last];
}
