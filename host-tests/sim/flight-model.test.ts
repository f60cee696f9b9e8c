// The flight model against physics and what balloonists know: float temperature, fuel, climb and
// descent rates, a failing envelope's onset and terminal speed, a burner's authority, trees and
// terrain, seeded wind; and the simulated chips against their datasheets.
import { describe, expect, it } from 'vitest';
import { MAX_LIFT_ACCELERATION_MPS2, STANDARD_GRAVITY } from '../../src/sensor/flight-limits';
import { airAt } from '../../src/sim/atmosphere';
import { Balloon, DEFAULT_BALLOON } from '../../src/sim/balloon';
import { flightSpec, SimulatedFlight } from '../../src/sim/flight';
import { SeededRandom } from '../../src/sim/random';
import { scenario, type ScenarioName } from '../../src/sim/scenarios';
import { CHIP_PROFILES, SimulatedBarometer, type ChipProfile } from '../../src/sim/simulated-barometer';
import { VerticalWind } from '../../src/sim/wind';
import { VirtualClock } from '../fakes/virtual-clock';

/** Flies a scenario second by second; returns the samples of the truth and the flight. */
function fly(name: ScenarioName, seconds: number, seed = 1) {
  const flight = new SimulatedFlight(scenario(name, seed).spec, 0);
  const samples: { t: number; h: number; v: number; a: number; phase: string; burner: boolean; contact: string }[] = [];
  for (let t = 0; t <= seconds; t++) {
    const s = flight.at(t * 1000);
    samples.push({ t, h: s.altitudeM, v: s.verticalSpeedMps, a: flight.balloon.accelerationMps2, phase: s.phase, burner: flight.pilot.controls.burner, contact: s.contact });
  }
  return { flight, samples };
}

const toC = (k: number) => k - 273.15;

describe('a 2,800 m³ balloon of 700 kg', () => {
  it('floats with the envelope at 80–100 °C, hotter the higher it floats', () => {
    const low = new Balloon(DEFAULT_BALLOON, 120, 101_325);
    const high = new Balloon(DEFAULT_BALLOON, 1620, 101_325);
    expect(toC(low.envelopeKFor(0))).toBeGreaterThan(80);
    expect(toC(high.envelopeKFor(0))).toBeLessThan(100);
    expect(high.envelopeKFor(0)).toBeGreaterThan(low.envelopeKFor(0) - 10); // the air is cooler up there too
    expect(low.inertiaKg).toBeGreaterThan(4000); // the hot air and the displaced air move with it
  });

  it('flies the normal scenario: climbs at about 3 m/s, floats at 1,500 m, descends at about 2 m/s and lands softly', () => {
    const { flight, samples } = fly('normal', 4300);
    const at = (phase: string) => samples.filter((s) => s.phase === phase);
    const climb = at('ascent').filter((s) => s.h > 200 && s.h < 1200);
    const meanClimb = climb.reduce((sum, s) => sum + s.v, 0) / climb.length;
    expect(meanClimb).toBeGreaterThan(2.5);
    expect(meanClimb).toBeLessThan(3.5);
    const floating = at('float');
    expect(Math.max(...floating.map((s) => Math.abs(s.h - 1500)))).toBeLessThan(30);
    // Fuel: 40–60 kg of propane an hour is what such a balloon burns in level flight.
    const kgPerHour = ((floating.filter((s) => s.burner).length / floating.length) * DEFAULT_BALLOON.burnerPowerW * 3600) / 46.4e6;
    expect(kgPerHour).toBeGreaterThan(30);
    expect(kgPerHour).toBeLessThan(80);
    const descent = at('descent').filter((s) => s.h > 200 && s.h < 1200);
    expect(descent.reduce((sum, s) => sum + s.v, 0) / descent.length).toBeCloseTo(-2, 0);
    expect(flight.pilot.finished).toBe(true);
    expect(-flight.balloon.touchdownSpeedMps).toBeLessThan(1.5);
    expect(samples.at(-1)!.h).toBe(0);
  });

  it('falls at up to 1 g, never more, when its envelope tears, and settles at its terminal speed', () => {
    const { flight, samples } = fly('crash', 400);
    const falling = samples.filter((s) => s.t > flight.failedAtS && s.t < flight.impactAtS);
    const hardest = Math.min(...falling.map((s) => s.a));
    expect(hardest).toBeLessThan(-0.8 * STANDARD_GRAVITY);
    expect(hardest).toBeGreaterThanOrEqual(-STANDARD_GRAVITY);
    const terminal = falling.filter((s) => s.t > flight.failedAtS + 10).map((s) => -s.v);
    expect(Math.min(...terminal)).toBeGreaterThan(18);
    expect(Math.max(...terminal)).toBeLessThan(21);
    expect(flight.impactSpeedMps).toBeGreaterThan(18);
  });

  it.each([
    [0.2, 10],
    [0.2, 30],
    [6, 12],
  ])('reaches the terminal speed it was given: emptying in %s s, %s m/s', (emptyingS, terminalMps) => {
    const spec = flightSpec({ name: 'test', plan: [{ kind: 'ground', phase: 'inflation', forS: 60 }, { kind: 'climb', phase: 'ascent', rateMps: 4, toM: 2500 }, { kind: 'hold', phase: 'float', forS: 3600 }] });
    const flight = new SimulatedFlight({ ...spec, wind: { ...spec.wind, turbulenceMps: 0, gustMps: 0 }, failure: { atS: 900, emptyingS, terminalMps } }, 0);
    flight.at((900 + 5 * emptyingS + (3 * terminalMps) / STANDARD_GRAVITY) * 1000);
    // The terminal speed was set for the air where it failed; lower down the air is a little denser.
    expect(-flight.balloon.verticalSpeedMps).toBeGreaterThan(0.95 * terminalMps);
    expect(-flight.balloon.verticalSpeedMps).toBeLessThan(1.02 * terminalMps);
  });

  it('arrests a fast descent with its burner only gradually: never harder than the limit the emergency rules assume', () => {
    const { samples } = fly('arrested-descent', 1400);
    const arrest = samples.filter((s) => s.phase === 'arresting');
    expect(arrest.length).toBeGreaterThan(30);
    expect(Math.min(...samples.map((s) => s.v))).toBeLessThan(-8); // a fast descent, close to a cold envelope's
    expect(Math.max(...arrest.map((s) => s.a))).toBeLessThan(MAX_LIFT_ACCELERATION_MPS2);
    expect(Math.min(...arrest.map((s) => s.h))).toBeGreaterThan(300); // in the air
  });

  it('stops in trees 10–20 m above the ground and stays there', () => {
    const { flight, samples } = fly('tree-landing', 2000);
    expect(flight.pilot.finished).toBe(true);
    const after = samples.filter((s) => s.phase === 'landed in trees');
    expect(after.length).toBeGreaterThan(600);
    for (const s of after) expect(s.h).toBe(15);
  });

  it.each([
    ['high-terrain', 350],
    ['low-terrain', -250],
  ] as const)('lands on ground that is not at the launch site: %s', (name, groundM) => {
    const { flight, samples } = fly(name, 3000);
    expect(flight.pilot.finished).toBe(true);
    expect(samples.at(-1)!.h).toBe(groundM);
    expect(Math.min(...samples.map((s) => s.h))).toBeGreaterThanOrEqual(Math.min(0, groundM));
  });

  it('is reproducible from its seed, and another seed blows another wind', () => {
    const heights = (seed: number) => fly('normal', 1500, seed).samples.map((s) => s.h);
    expect(heights(7)).toEqual(heights(7));
    expect(heights(8)).not.toEqual(heights(7));
  });

  it('takes live inputs: a burner held open climbs, an envelope failure now falls', () => {
    const flight = new SimulatedFlight(scenario('normal').spec, 0);
    flight.at(1_200_000); // floating
    const floatM = flight.balloon.heightM;
    flight.pilot.forced = { burner: true, vent: false };
    flight.at(1_320_000);
    expect(flight.balloon.heightM).toBeGreaterThan(floatM + 50);
    flight.pilot.forced = undefined;
    flight.pilot.holdOverrideM = 1000;
    flight.at(3_000_000); // down at most 1 m/s, as a pilot would
    expect(Math.abs(flight.balloon.heightM - 1000)).toBeLessThan(30);
    flight.failEnvelope();
    flight.at(3_020_000);
    expect(flight.balloon.verticalSpeedMps).toBeLessThan(-15);
  });
});

describe('the air and the wind', () => {
  it('has the standard atmosphere’s density: 1.225 kg/m³ at sea level, about 1.0 at 2,000 m', () => {
    expect(airAt(0).densityKgM3).toBeCloseTo(1.225, 3);
    expect(airAt(2000).densityKgM3).toBeCloseTo(1.007, 2);
  });

  it('blows gusts up to the given ±2 m/s, seeded', () => {
    const wind = (seed: number) => {
      const w = new VerticalWind({ turbulenceMps: 0, turbulenceTimeS: 20, gustMps: 2, gustEveryS: 60 }, new SeededRandom(seed));
      return Array.from({ length: 3600 }, (_, t) => w.at(t));
    };
    const blown = wind(3);
    expect(Math.max(...blown.map(Math.abs))).toBeLessThanOrEqual(2);
    expect(Math.max(...blown.map(Math.abs))).toBeGreaterThan(1);
    expect(wind(3)).toEqual(blown);
  });
});

describe('the simulated chips, against their datasheets', () => {
  const atRest = (profile: ChipProfile) => {
    const clock = new VirtualClock(0);
    const flight = { startMs: 0, at: () => ({ pressurePa: 95_000, temperatureC: 10, sensor: 'ok' as const }) };
    const barometer = new SimulatedBarometer({ clock, flight, profile, seed: 11 });
    return Array.from({ length: 2000 }, () => {
      clock.advance(1000);
      return barometer.sample().pressure;
    });
  };
  const sd = (values: number[]) => {
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  };

  it.each([
    ['BMP280', CHIP_PROFILES.BMP280],
    ['MS5611', CHIP_PROFILES.MS5611],
  ] as const)('%s: RMS noise and output resolution as its datasheet gives them', (_name, profile) => {
    const pressures = atRest(profile);
    expect(sd(pressures)).toBeGreaterThan(0.85 * profile.noisePa);
    expect(sd(pressures)).toBeLessThan(1.15 * profile.noisePa);
    for (const p of pressures) expect(Math.abs(p / profile.resolutionPa - Math.round(p / profile.resolutionPa))).toBeLessThan(1e-6);
  });

  it('BMP280: its IIR filter (coefficient 4) takes 5 conversions to show 75 % of a step (datasheet table 6)', () => {
    const clock = new VirtualClock(0);
    const step = { startMs: 0, at: (ms: number) => ({ pressurePa: ms < 10_000 ? 95_000 : 94_900, temperatureC: 10, sensor: 'ok' as const }) };
    const barometer = new SimulatedBarometer({ clock, flight: step, profile: { ...CHIP_PROFILES.BMP280, noisePa: 0 }, seed: 1 });
    const read = (ms: number) => {
      clock.advance(ms - clock.now());
      return barometer.sample().pressure;
    };
    read(9_000);
    const conversionMs = 1000 / CHIP_PROFILES.BMP280.conversionsPerS;
    expect(read(10_000 + 3.5 * conversionMs)).toBeGreaterThan(94_925); // after 3 conversions: less than 75 %
    expect(read(10_000 + 5.5 * conversionMs)).toBeLessThan(94_925); // after 5: 75 % or more
  });
});
