// The balloon flown by hand from the simulator's pane (src/platform/moddable/sim/manual-flight.ts),
// checked against what a hot-air balloon can do: climbs of at most 5 m/s, changes of vertical speed
// of a fraction of a metre per second per second, no overshoot of the pilot's target; and with a
// failed envelope a fall that accelerates at less than 1 g towards 10–30 m/s (DESIGN §5).
import { describe, expect, it } from 'vitest';
import { ManualFlight } from '../../src/platform/moddable/sim/manual-flight';

/** Samples the flight every 100 ms for `seconds`, from `fromMs`. */
function fly(flight: ManualFlight, fromMs: number, seconds: number) {
  const samples: { t: number; h: number; v: number; phase: string }[] = [];
  for (let ms = 0; ms <= seconds * 1000; ms += 100) {
    const state = flight.at(fromMs + ms);
    samples.push({ t: (fromMs + ms) / 1000, h: state.altitudeM, v: state.verticalSpeedMps, phase: state.phase });
  }
  return samples;
}

const accelerations = (samples: { v: number }[]) => samples.slice(1).map((s, i) => (s.v - samples[i].v) / 0.1);

describe('a balloon flown by hand', () => {
  it('stays on the ground until the pilot sets a target', () => {
    const flight = new ManualFlight(0, { altitudeM: 0, verticalSpeedMps: 0 });
    const samples = fly(flight, 0, 60);
    expect(samples.every((s) => s.h === 0 && s.v === 0 && s.phase === 'on the ground')).toBe(true);
  });

  it('climbs to the target at most 5 m/s, changing speed gently, and holds it without overshooting', () => {
    const flight = new ManualFlight(0, { altitudeM: 0, verticalSpeedMps: 0 });
    flight.setTarget(120, 0);
    const samples = fly(flight, 0, 120);
    expect(Math.max(...samples.map((s) => s.v))).toBeLessThanOrEqual(5);
    expect(Math.max(...samples.map((s) => s.v))).toBeGreaterThan(4.5); // it does climb briskly
    expect(Math.max(...accelerations(samples).map(Math.abs))).toBeLessThanOrEqual(0.5 + 1e-9);
    expect(Math.max(...samples.map((s) => s.h))).toBeLessThan(120.5);
    const arrived = samples.findIndex((s) => Math.abs(s.h - 120) < 0.5);
    expect(samples[arrived].t).toBeLessThan(50); // about 10 s to speed up, 20 s at 5 m/s, 12 s to slow down
    expect(samples.slice(arrived).every((s) => Math.abs(s.h - 120) < 0.5)).toBe(true);
    expect(samples.at(-1)!.phase).toBe('holding');
  });

  it('descends to a lower target at most 4 m/s and lands softly at 0', () => {
    const flight = new ManualFlight(0, { altitudeM: 300, verticalSpeedMps: 0 });
    flight.setTarget(0, 0);
    const samples = fly(flight, 0, 200);
    expect(Math.min(...samples.map((s) => s.v))).toBeGreaterThanOrEqual(-4);
    const touchdown = samples.findIndex((s) => s.h === 0);
    expect(touchdown).toBeGreaterThan(0);
    expect(samples[touchdown - 1].v).toBeGreaterThan(-1); // a landing, not an impact
    expect(samples.at(-1)!.phase).toBe('on the ground');
  });

  it('takes over from a scripted flight where it is, with its vertical speed', () => {
    const flight = new ManualFlight(1000, { altitudeM: 800, verticalSpeedMps: 3 });
    const next = flight.at(1100);
    expect(next.altitudeM).toBeCloseTo(800 + 0.3 - 0.005, 2); // still climbing, slowing down towards the target (800)
    expect(next.verticalSpeedMps).toBeCloseTo(2.95, 6);
  });

  it('falls with a failed envelope: under 1 g, towards 15 m/s, and stays where it hit the ground', () => {
    const flight = new ManualFlight(0, { altitudeM: 600, verticalSpeedMps: 0 });
    flight.failEnvelope(0);
    const samples = fly(flight, 0, 90);
    const falling = samples.filter((s) => s.h > 0);
    expect(Math.max(...accelerations(falling).map(Math.abs))).toBeLessThan(9.81);
    const fastest = Math.min(...falling.map((s) => s.v));
    expect(fastest).toBeLessThan(-10);
    expect(fastest).toBeGreaterThan(-30);
    // 6 m/s (the rapid-descent threshold) within a few seconds of the tear
    expect(falling.find((s) => s.v < -6)!.t).toBeLessThan(4);
    const impact = samples.findIndex((s) => s.h === 0);
    expect(samples[impact - 1].v).toBeLessThan(-10); // it hit the ground hard
    expect(samples.slice(impact).every((s) => s.h === 0 && s.v === 0 && s.phase === 'crashed')).toBe(true);
    // The pilot can do nothing about it.
    flight.setTarget(500, 90_000);
    expect(flight.at(120_000).altitudeM).toBe(0);
  });

  it('climbs while the burner is held: lift at most the burner\'s 0.5 m/s², climbs of at most 5 m/s', () => {
    const flight = new ManualFlight(0, { altitudeM: 0, verticalSpeedMps: 0 });
    flight.setBurner(true, 0);
    const burning = fly(flight, 0, 90);
    expect(burning.at(-1)!.phase).toBe('burner on');
    expect(burning.find((s) => s.h > 0)!.t).toBeLessThan(2); // off the ground as the air heats
    expect(Math.max(...accelerations(burning).map(Math.abs))).toBeLessThanOrEqual(0.5 + 1e-9);
    expect(Math.max(...burning.map((s) => s.v))).toBeLessThanOrEqual(5);
    expect(burning.at(-1)!.v).toBeGreaterThan(4.5); // at full heat it climbs briskly
    expect(burning.at(-1)!.h).toBeGreaterThan(250);
    // Released: the air cools, the climb slows, stops, and turns into a gentle descent.
    flight.setBurner(false, 90_000);
    const cooling = fly(flight, 90_000, 400);
    expect(Math.max(...accelerations(cooling).map(Math.abs))).toBeLessThanOrEqual(0.5 + 1e-9);
    const top = cooling.reduce((a, b) => (b.h > a.h ? b : a));
    expect(top.t).toBeGreaterThan(100); // it coasts up for a while after the last blast
    expect(cooling.at(-1)!.v).toBeLessThan(-1);
    expect(cooling.at(-1)!.v).toBeGreaterThan(-3); // a cooling balloon descends at 1-3 m/s, not a fall
    expect(cooling.at(-1)!.phase).toBe('descending');
  });

  it('hands the balloon back to the target pilot when the slider moves, and a failed envelope ignores the burner', () => {
    const flight = new ManualFlight(0, { altitudeM: 0, verticalSpeedMps: 0 });
    flight.setBurner(true, 0);
    fly(flight, 0, 30);
    flight.setTarget(100, 30_000);
    flight.setBurner(false, 30_000); // a stray release leaves the target pilot flying
    const held = fly(flight, 30_000, 150);
    expect(held.at(-1)!.h).toBeCloseTo(100, 0);
    expect(held.at(-1)!.phase).toBe('holding');
    expect(flight.burning).toBe(false);
    flight.failEnvelope(180_000);
    flight.setBurner(true, 180_000);
    const falling = fly(flight, 180_000, 30);
    expect(Math.min(...falling.map((s) => s.v))).toBeLessThan(-10);
    expect(falling.at(-1)!.phase).toBe('crashed');
  });
});
