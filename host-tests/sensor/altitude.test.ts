import { describe, expect, it } from 'vitest';
import { altitudeM, pressureAtAltitudePa, qnhFor } from '../../src/sensor/altitude';

// ICAO Standard Atmosphere (Doc 7488), geopotential altitude → pressure, troposphere.
const ICAO_TABLE: [number, number][] = [
  [0, 101_325.0], [500, 95_460.8], [1000, 89_874.6], [1500, 84_556.0], [2000, 79_495.2], [3000, 70_108.5], [4000, 61_640.2],
  [5000, 54_019.9], [6000, 47_181.0], [7000, 41_060.7], [8000, 35_599.8], [9000, 30_742.5], [10_000, 26_436.3], [11_000, 22_632.1],
];

describe('altitude from pressure (international barometric formula)', () => {
  it('matches the ICAO standard atmosphere from 0 to 11,000 m within 0.1 m', () => {
    const errors = ICAO_TABLE.map(([altitude, pressure]) => Math.abs(altitudeM(pressure) - altitude));
    // The table's pressures are rounded to 0.1 Pa: at 11 km that alone is ≈ 0.05 m.
    expect(Math.max(...errors)).toBeLessThan(0.1);
  });

  it('inverts exactly: pressure at an altitude gives that altitude back', () => {
    for (let h = -300; h <= 11_000; h += 137) expect(altitudeM(pressureAtAltitudePa(h))).toBeCloseTo(h, 6);
  });

  it('reads height above the launch site when zeroed there', () => {
    const launch = 97_000;
    expect(altitudeM(launch, launch)).toBe(0);
    expect(altitudeM(pressureAtAltitudePa(300, launch), launch)).toBeCloseTo(300, 6);
  });

  it('computes the QNH that makes a known field elevation read right', () => {
    const qnh = qnhFor(95_000, 450);
    expect(altitudeM(95_000, qnh)).toBeCloseTo(450, 6);
  });
});
