// The page's model, without a browser: the flight store (order, duplicates, gaps, CSV), the
// emergency board, command matching and the flight phase.
import { describe, expect, it } from 'vitest';
import { CommandTracker, describeReply, parseReply } from '../../host/web/page/command-tracker';
import { EmergencyBoard, parseEmergency } from '../../host/web/page/emergencies';
import { flightPhase } from '../../host/web/page/flight-phase';
import { recordFlight } from '../../host/bench/recorded-flight';
import { FlightStore, parseTelemetry, type Reading } from '../../host/web/page/flight-store';
import { parseFlightCsv } from '../../src/sim/recorded-flight';

const reading = (seq: number, extra: Partial<Reading> = {}): Reading => ({ seq, ts: 1_700_000_000_000 + seq * 1000, alt: seq * 2, vs: 2, p: 100_000, t: 15, q: 'ok', ...extra });
const seqs = (store: FlightStore) => Array.from(store.seq.subarray(0, store.length));

describe('flight store', () => {
  it('keeps readings in time order and ignores a reading it has (same seq), however it comes back', () => {
    const store = new FlightStore();
    for (const seq of [1, 2, 3, 6, 7]) expect(store.add(reading(seq))).toBe('appended');
    expect(store.missing).toBe(2);
    expect(store.add(reading(7))).toBe('duplicate'); // a QoS 1 resend
    expect(store.add(reading(2))).toBe('duplicate');
    expect(store.add(reading(4))).toBe('inserted'); // the backlog fills the gap
    expect(store.add(reading(5))).toBe('inserted');
    expect(seqs(store)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(store.missing).toBe(0);
    expect(store.duplicates).toBe(2);
  });

  it('tells readings of different boots apart when the node sends boot (seq restarts at 1)', () => {
    const store = new FlightStore();
    store.add(reading(1, { boot: 'a' }));
    store.add(reading(2, { boot: 'a' }));
    expect(store.add(reading(1, { boot: 'b', ts: 1_700_000_000_000 + 1000 }))).toBe('inserted'); // same seq and time, another boot
    expect(store.add(reading(1, { boot: 'a' }))).toBe('duplicate');
    expect(store.length).toBe(3);
  });

  it('grows past its first capacity without losing a reading', () => {
    const store = new FlightStore();
    for (let seq = 1; seq <= 10_000; seq++) store.add(reading(seq));
    expect(store.length).toBe(10_000);
    expect(store.capacity).toBeGreaterThanOrEqual(10_000);
    expect(store.altitude[9_999]).toBe(20_000);
    expect(store.missing).toBe(0);
  });

  it('exports the CSV that --flight replays: t_s from the first reading, altitude, temperature; faults left out', () => {
    const store = new FlightStore();
    store.add(reading(1, { alt: 0.04, t: 15.25 }));
    store.add(reading(2, { alt: NaN, t: NaN, q: 'fault' }));
    store.add(reading(3, { alt: 12.345, t: 14.9 }));
    expect(store.toCsv()).toBe('t_s,altitude_m,temperature_c\n0,0,15.25\n2,12.3,14.9\n');
  });

  it('exports a flight that `npm start -- --flight` reads back as it was (src/sim/recorded-flight.ts)', () => {
    const store = new FlightStore();
    const payloads = recordFlight(4000, 1_700_000_000_000); // the node's own telemetry, a climb to 1,500 m
    for (const payload of payloads) {
      const parsed = parseTelemetry(payload);
      if ('reading' in parsed) store.add(parsed.reading);
    }
    store.add(reading(1, { boot: 'again', ts: store.time[store.length - 1] * 1000 })); // same millisecond as the last one, another boot
    const replay = parseFlightCsv(store.toCsv());
    expect(replay.timesS.length).toBe(4000); // the second reading at the same time is left out
    expect(replay.temperaturesC.length).toBe(4000);
    for (const i of [0, 999, 2500, 3999]) {
      expect(replay.timesS[i]).toBeCloseTo(store.time[i] - store.time[0], 3);
      expect(replay.altitudesM[i]).toBeCloseTo(store.altitude[i], 1);
    }
    // A temperature that is no air temperature (a chip's glitch): the column is left out, the rows stay.
    store.temperature[10] = 300;
    const withoutTemperature = parseFlightCsv(store.toCsv());
    expect(withoutTemperature.temperaturesC.length).toBe(0);
    expect(withoutTemperature.timesS.length).toBe(4000);
  });

  it('reads telemetry payloads and refuses what is not one, saying why', () => {
    expect(parseTelemetry('{"seq":5,"ts":1000,"alt":1.5,"vs":0.25,"p":101000,"t":14,"q":"ok"}')).toEqual({ reading: { seq: 5, ts: 1000, alt: 1.5, vs: 0.25, p: 101000, t: 14, q: 'ok', boot: undefined } });
    expect(parseTelemetry('{"seq":5,"ts":1000,"alt":null,"vs":null,"p":null,"t":null,"q":"fault"}')).toMatchObject({ reading: { alt: NaN, q: 'fault' } });
    expect(parseTelemetry('1523.4')).toEqual({ error: 'telemetry without a numeric seq and ts: 1523.4' });
    expect(parseTelemetry('{oops')).toEqual({ error: 'telemetry is not JSON: {oops' });
  });
});

describe('emergency board', () => {
  const message = (kind: string, active: boolean, seq: number) => {
    const parsed = parseEmergency(JSON.stringify({ active, kind, seq, ts: seq * 1000, alt: 10, vs: -9, msg: `${kind} ${active}` }));
    if ('error' in parsed) throw new Error(parsed.error);
    return parsed.emergency;
  };

  it('raises, re-asserts and clears per kind', () => {
    const board = new EmergencyBoard();
    expect(board.apply(message('rapid-descent', true, 10))).toBe('raised');
    expect(board.apply(message('crash', true, 20))).toBe('raised');
    expect(board.apply(message('rapid-descent', false, 30))).toBe('cleared');
    expect(board.apply(message('crash', true, 30))).toBe('same'); // the node re-publishes the one still active
    expect([...board.active.keys()]).toEqual(['crash']);
    expect(board.active.get('crash')!.seq).toBe(20); // when it began
  });

  it('a clear older than the raise it would end (a backlog) does not end it', () => {
    const board = new EmergencyBoard();
    board.apply(message('low-altitude', true, 50));
    expect(board.apply(message('low-altitude', false, 40))).toBe('same');
    expect(board.active.has('low-altitude')).toBe(true);
  });

  it('refuses a message that is not an emergency', () => {
    expect(parseEmergency('{"kind":"crash"}')).toEqual({ error: 'emergency message without "active" and "kind": {"kind":"crash"}' });
  });
});

describe('commands', () => {
  it('matches a reply to its command by id, once, and leaves other replies alone', () => {
    const tracker = new CommandTracker('gs-abc');
    const ping = tracker.create('ping', {}, 1000);
    const zero = tracker.create('zero', { qnh: 101_320 }, 1100);
    expect(ping.payload).toEqual({ id: 'gs-abc-1' });
    expect(zero.payload).toEqual({ id: 'gs-abc-2', qnh: 101_320 });
    expect(tracker.match(parseReply('{"cmd":"ping","id":"preflight","ok":true}')!, 1200)).toBeUndefined();
    const refused = tracker.match(parseReply('{"cmd":"zero","id":"gs-abc-2","ok":false,"error":"\\"qnh\\" must be a pressure in Pa"}')!, 1300);
    expect(refused).toBe(zero);
    expect(describeReply(refused!.reply!)).toBe('refused: "qnh" must be a pressure in Pa');
    expect(tracker.match(parseReply('{"cmd":"zero","id":"gs-abc-2","ok":true}')!, 1400)).toBeUndefined(); // answered already
    const answered = tracker.match(parseReply('{"cmd":"ping","id":"gs-abc-1","ok":true,"uptimeS":5,"seq":9,"outbox":0}')!, 1500);
    expect(describeReply(answered!.reply!)).toBe('ok: uptimeS 5, seq 9, outbox 0');
  });
});

describe('flight phase', () => {
  it('names the phase from altitude and vertical speed, with hysteresis', () => {
    expect(flightPhase(0.2, 0.05, 'no reading')).toBe('on the ground');
    expect(flightPhase(40, 0.4, 'level')).toBe('level');
    expect(flightPhase(40, 0.6, 'level')).toBe('climbing');
    expect(flightPhase(40, 0.4, 'climbing')).toBe('climbing');
    expect(flightPhase(40, 0.1, 'climbing')).toBe('level');
    expect(flightPhase(400, -2, 'level')).toBe('descending');
    expect(flightPhase(400, -15, 'descending')).toBe('rapid descent');
    expect(flightPhase(NaN, NaN, 'level')).toBe('no reading');
  });
});
