import { describe, expect, it } from 'vitest';
import { SimulatedFlight } from '../../src/sensor/simulated';
import { MedianFilter, checkRate, DEFAULT_LIMITS } from '../../src/sensor/filters';
import { scoreOnFlight, stepLagS } from '../fakes/synthetic-flight';

describe('simulated flights', () => {
  it('flies the normal scenario for more than an hour, up to about 1,500 m, and lands', () => {
    const flight = new SimulatedFlight('normal', 0);
    expect(flight.flightDurationS).toBeGreaterThan(3600);
    let top = 0;
    for (let t = 0; t < flight.flightDurationS; t += 10) top = Math.max(top, flight.at(t * 1000).altitudeM);
    expect(top).toBeGreaterThan(1450);
    expect(flight.at((flight.flightDurationS + 10) * 1000)).toMatchObject({ altitudeM: 0, verticalSpeedMps: 0, phase: 'landed' });
  });

  it('crashes within 10 minutes: a fall faster than 10 m/s that ends on the ground', () => {
    const flight = new SimulatedFlight('crash', 0);
    expect(flight.flightDurationS).toBeLessThan(600);
    expect(flight.at((flight.flightDurationS - 2) * 1000).verticalSpeedMps).toBeLessThan(-10);
    expect(flight.at((flight.flightDurationS + 1) * 1000)).toMatchObject({ altitudeM: 0, phase: 'crashed' });
  });

  it('climbs at 2–5 m/s', () => {
    const flight = new SimulatedFlight('normal', 0);
    expect(flight.at(500_000).verticalSpeedMps).toBeGreaterThanOrEqual(2);
    expect(flight.at(500_000).verticalSpeedMps).toBeLessThanOrEqual(5);
  });
});

describe('filters', () => {
  it('removes an isolated spike with a median of three', () => {
    const median = new MedianFilter(3);
    const out = [100, 101, 5000, 102, 103].map((x) => median.push(x));
    expect(Math.max(...out)).toBeLessThan(200);
  });

  it('refuses a jump no balloon can make and accepts a fast but real fall', () => {
    expect(checkRate(1100, 1000, 1, DEFAULT_LIMITS)).toBe('too-fast'); // 100 m in a second
    expect(checkRate(985, 1000, 1, DEFAULT_LIMITS)).toBe('ok'); // 15 m/s: a falling balloon
  });
});

describe('altitude Kalman filter on synthetic flights (truth + noise)', () => {
  const options = { processNoise: 0.5, measurementNoiseM: 0.5 };

  it.each(['normal', 'crash'] as const)('tracks the %s flight better than the raw measurements', (scenario) => {
    const score = scoreOnFlight(scenario, options);
    expect(score.rmsAltitudeErrorM).toBeLessThan(score.rawNoiseM);
    expect(score.rmsVerticalSpeedErrorMps).toBeLessThan(0.6);
  });

  it('follows a step in climb rate within a few seconds', () => {
    expect(stepLagS(options)).toBeLessThan(6);
  });

  it('trades lag for smoothness with the process noise', () => {
    const smooth = { processNoise: 0.05, measurementNoiseM: 0.5 };
    const nimble = { processNoise: 5, measurementNoiseM: 0.5 };
    expect(stepLagS(nimble)).toBeLessThan(stepLagS(smooth));
    expect(scoreOnFlight('normal', smooth).rmsAltitudeErrorM).toBeLessThan(scoreOnFlight('normal', nimble).rmsAltitudeErrorM);
  });
});
