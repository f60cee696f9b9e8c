// Replaying a recorded flight (npm start -- --flight FILE.csv): the file format, its errors with line
// and column, interpolation and the hold at the end, and the sample flights in flights/ through the
// simulated chip, the altimeter and the emergency rules.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/app/config';
import { EmergencyMonitor } from '../../src/app/emergency';
import { Altimeter } from '../../src/sensor/altimeter';
import { FlightFileError, parseFlightCsv, RecordedFlight } from '../../src/sim/recorded-flight';
import { SimulatedBarometer } from '../../src/sim/simulated-barometer';
import { VirtualClock } from '../fakes/virtual-clock';

function problem(text: string): FlightFileError {
  try {
    parseFlightCsv(text);
  } catch (error) {
    if (error instanceof FlightFileError) return error;
    throw error;
  }
  throw new Error('the file was accepted');
}

describe('the flight file', () => {
  it('reads t_s and altitude_m, with or without temperature_c, in any column order, CRLF or LF', () => {
    const plain = parseFlightCsv('t_s,altitude_m\n0,0\n10,30.5\n');
    expect([...plain.timesS]).toEqual([0, 10]);
    expect([...plain.altitudesM]).toEqual([0, 30.5]);
    expect(plain.temperaturesC.length).toBe(0);
    const reordered = parseFlightCsv('altitude_m, temperature_c ,t_s\r\n5,12.5,0\r\n7,12,2.5\r\n');
    expect([...reordered.timesS]).toEqual([0, 2.5]);
    expect([...reordered.altitudesM]).toEqual([5, 7]);
    expect([...reordered.temperaturesC]).toEqual([12.5, 12]);
  });

  it.each([
    ['an empty file', '', 'EMPTY', 1, 1, /the file is empty: expected a header row t_s,altitude_m\[,temperature_c\]/],
    ['a missing header', '0,0\n1,3\n', 'NO_HEADER', 1, 1, /the header row is missing/],
    ['an unknown column', 't_s,altitude,temperature_c\n', 'BAD_HEADER', 1, 2, /unknown column "altitude"/],
    ['no altitude column', 't_s,temperature_c\n0,5\n', 'BAD_HEADER', 1, 1, /must name t_s and altitude_m/],
    ['a header and nothing else', 't_s,altitude_m\n', 'NO_DATA', 2, 1, /no rows after the header/],
    ['a value that is not a number', 't_s,altitude_m\n0,0\n1,12m\n', 'NOT_A_NUMBER', 3, 2, /altitude_m "12m" is not a number/],
    ['an empty value', 't_s,altitude_m,temperature_c\n0,0,\n', 'NOT_A_NUMBER', 2, 3, /temperature_c "" is not a number/],
    ['time going backwards', 't_s,altitude_m\n0,0\n10,5\n9,6\n', 'TIME_BACKWARDS', 4, 1, /t_s 9 does not come after 10 \(line 3\): time must increase/],
    ['a row with too few values', 't_s,altitude_m\n0,0\n5\n', 'FIELD_COUNT', 3, 2, /expected 2 values \(t_s,altitude_m\), found 1/],
    ['an altitude outside the atmosphere it models', 't_s,altitude_m\n0,0\n1,20000\n', 'OUT_OF_RANGE', 3, 2, /altitude_m 20000 is outside what the replay covers/],
  ])('refuses %s, naming the line and column', (_what, text, code, line, column, message) => {
    const error = problem(text);
    expect(error).toMatchObject({ code, line, column });
    expect(error.message).toMatch(new RegExp(`^line ${line}, column ${column}: `));
    expect(error.message).toMatch(message);
  });
});

describe('the replay', () => {
  it('interpolates linearly between rows, starts at the first and holds the last altitude', () => {
    const flight = new RecordedFlight(parseFlightCsv('t_s,altitude_m,temperature_c\n10,100,10\n20,200,8\n'), 0);
    expect(flight.at(0).altitudeM).toBe(100);
    expect(flight.at(15_000)).toMatchObject({ altitudeM: 150, verticalSpeedMps: 10, temperatureC: 9, phase: 'replay' });
    expect(flight.at(20_000).altitudeM).toBe(200);
    expect(flight.at(3_600_000)).toMatchObject({ altitudeM: 200, verticalSpeedMps: 0, phase: 'replay ended (holding)' });
    expect(flight.at(15_000).pressurePa).toBeGreaterThan(flight.at(20_000).pressurePa); // lower is denser air
  });

  /** Replays a file through the simulated chip, the altimeter and the emergency rules, as npm start does. */
  function replay(file: string, seconds: number) {
    const clock = new VirtualClock(0);
    const flight = new RecordedFlight(parseFlightCsv(readFileSync(new URL(`../../flights/${file}`, import.meta.url), 'utf8')), 0);
    const barometer = new SimulatedBarometer({ clock, flight, seed: 1 });
    const altimeter = new Altimeter({ open: () => barometer, clock });
    const monitor = new EmergencyMonitor(DEFAULT_CONFIG.emergency);
    const raised: string[] = [];
    let worst = 0;
    for (let t = 1; t <= seconds; t++) {
      clock.advance(1000);
      const reading = altimeter.read();
      for (const change of monitor.update(reading)) if (change.active) raised.push(`${t} ${change.kind}`);
      if (t > 10) worst = Math.max(worst, Math.abs(reading.altitudeM - flight.at(clock.now()).altitudeM));
    }
    return { raised, worst, flight };
  }

  it('flights/morning-flight.csv: a good flight, nothing raised, the altitude followed', () => {
    const { raised, worst, flight } = replay('morning-flight.csv', 4200);
    expect(flight.durationS).toBeGreaterThan(4000);
    expect(raised).toEqual([]);
    expect(worst).toBeLessThan(8); // the standard atmosphere zeroed 120 m up reads 0.3 % off at 1,500 m
  });

  it('flights/envelope-failure-over-hills.csv: rapid-descent, then crash within 10 s of the impact on the hill', () => {
    const { raised, flight } = replay('envelope-failure-over-hills.csv', 1000);
    expect(raised.map((r) => r.split(' ')[1])).toEqual(['rapid-descent', 'crash']);
    const times = flight.data.timesS;
    const altitudes = flight.data.altitudesM;
    let impact = 0;
    for (let i = 1; i < times.length && !impact; i++) if (altitudes[i] === altitudes.at(-1) && altitudes[i - 1] > altitudes[i] + 5) impact = times[i];
    const crashAt = Number(raised[1].split(' ')[0]);
    expect(crashAt - impact).toBeGreaterThanOrEqual(0);
    expect(crashAt - impact).toBeLessThanOrEqual(10);
  });
});
