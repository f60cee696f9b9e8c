// The emergency rules at their edges, fed hand-made readings (the named flights in
// host-tests/sim/scenarios.test.ts exercise them on whole simulated flights).
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/app/config';
import { EmergencyMonitor } from '../../src/app/emergency';
import type { AltitudeReading } from '../../src/sensor/altimeter';
import { SeededRandom } from '../../src/sim/random';

function reading(t: number, altitudeM: number, verticalSpeedMps: number, quality: AltitudeReading['quality'] = 'ok'): AltitudeReading {
  const fault = quality === 'fault';
  return {
    timestampMs: t * 1000, pressurePa: fault ? NaN : 90_000, temperatureC: fault ? NaN : 10,
    altitudeM: fault ? NaN : altitudeM, verticalSpeedMps: fault ? NaN : verticalSpeedMps,
    quality, fault: fault ? 'NACK' : undefined, faultMessage: fault ? 'no acknowledge' : '',
  };
}

/** Feeds (t, altitude, speed) readings; returns "t kind raised|cleared" lines. */
function feed(monitor: EmergencyMonitor, samples: [number, number, number][]): string[] {
  const changes: string[] = [];
  for (const [t, alt, vs] of samples) for (const c of monitor.update(reading(t, alt, vs))) changes.push(`${t} ${c.kind} ${c.active ? 'raised' : 'cleared'}`);
  return changes;
}

/**
 * A fall at `fallMps` from `fromM` starting at t = 10 s, stopping at `stopM`; `stopSeconds` is how
 * long the stop takes (the speed falls evenly to 0, and the height with it).
 */
function fall(fromM: number, stopM: number, fallMps: number, stopSeconds: number): [number, number, number][] {
  const samples: [number, number, number][] = [];
  for (let t = 0; t < 10; t++) samples.push([t, fromM, 0]);
  let t = 10;
  let alt = fromM;
  const stopDistanceM = (fallMps * stopSeconds) / 2;
  for (; alt - fallMps > stopM + stopDistanceM; t++) samples.push([t, (alt -= fallMps), -fallMps]);
  const startM = alt;
  for (let i = 1; i <= stopSeconds; i++, t++) {
    const left = 1 - i / stopSeconds;
    samples.push([t, stopM + ((startM - stopM) * left * left), -fallMps * left]);
  }
  for (let i = 0; i < 60; i++, t++) samples.push([t, stopM, 0]);
  return samples;
}

const config = DEFAULT_CONFIG.emergency;

describe('crash: an abrupt stop after a fast descent, at any height', () => {
  it.each([
    ['on the launch field', 600, 0],
    ['on a plateau 350 m above the launch site', 900, 350],
    ['in a valley 250 m below it', 600, -250],
    ['in treetops 15 m up', 400, 15],
  ])('is raised for an impact %s', (_where, fromM, stopM) => {
    const changes = feed(new EmergencyMonitor(config), fall(fromM, stopM, 20, 1));
    expect(changes.filter((c) => c.includes('crash'))).toHaveLength(1);
    const impactS = changes.find((c) => c.includes('crash raised'))!;
    expect(impactS).toMatch(/crash raised$/);
  });

  it('is not raised for a gradual arrest in the air, which may still be a rapid descent', () => {
    const samples: [number, number, number][] = [];
    let alt = 1500;
    for (let t = 0; t < 60; t++) samples.push([t, (alt -= 9), -9]); // a cold envelope, vented
    for (let i = 1; i <= 30; i++) samples.push([59 + i, (alt -= 9 * (1 - i / 30)), -9 * (1 - i / 30)]); // 0.3 m/s²: the burner
    for (let t = 90; t < 200; t++) samples.push([t, alt, 0]);
    const changes = feed(new EmergencyMonitor(config), samples);
    expect(changes.some((c) => c.includes('rapid-descent raised'))).toBe(true);
    expect(changes.some((c) => c.includes('crash'))).toBe(false);
  });

  it('tells the abrupt from the gradual by the deceleration against the configured limit', () => {
    // 20 m/s stopped over 8 s is 2.5 m/s²: a crash at the default 2 m/s², not at 3 m/s².
    expect(feed(new EmergencyMonitor(config), fall(600, 0, 20, 8)).some((c) => c.includes('crash raised'))).toBe(true);
    expect(feed(new EmergencyMonitor({ ...config, crashDecelerationMps2: 3 }), fall(600, 0, 20, 8)).some((c) => c.includes('crash'))).toBe(false);
  });

  it('does not call a firm landing a crash: abrupt, but not after a fast descent', () => {
    expect(feed(new EmergencyMonitor(config), fall(200, 0, 5, 1))).toEqual([]);
  });

  it('is not fooled by one reading that looks like a fall (a spike), followed by a stop', () => {
    const samples: [number, number, number][] = [];
    for (let t = 0; t < 30; t++) samples.push([t, 500, t === 15 ? -12 : 0]);
    expect(feed(new EmergencyMonitor(config), samples)).toEqual([]);
  });

  it('is raised for a fall too short for a debounce: two seconds from 20 m onto the ground', () => {
    // At 1 Hz a fall from 20 m shows one fast reading before the impact; it does not revert.
    const samples: [number, number, number][] = [];
    for (let t = 0; t < 10; t++) samples.push([t, 20, 0]);
    samples.push([10, 18, -3], [11, 8, -12], [12, 0.5, -4]);
    for (let t = 13; t < 40; t++) samples.push([t, 0, 0]);
    expect(feed(new EmergencyMonitor(config), samples)).toEqual(['15 crash raised']);
  });

  it('is not fooled by a reading two samples wide that reverts', () => {
    const samples: [number, number, number][] = [];
    for (let t = 0; t < 40; t++) samples.push([t, t === 15 || t === 16 ? 494 : 500, t === 15 ? -9 : t === 17 ? 6 : 0]);
    expect(feed(new EmergencyMonitor(config), samples)).toEqual([]);
  });

  it('is raised when a sensor silent through the impact comes back to a balloon at rest', () => {
    // Falling at 19 m/s, last heard 150 m up; silent for 25 s; then at rest on the ground.
    const monitor = new EmergencyMonitor(config);
    const changes: string[] = [];
    const at = (t: number, alt: number, vs: number, quality: AltitudeReading['quality'] = 'ok') => {
      for (const c of monitor.update(reading(t, alt, vs, quality))) changes.push(`${t} ${c.kind} ${c.active ? 'raised' : 'cleared'}`);
    };
    for (let t = 0; t < 20; t++) at(t, 530 - 19 * t, -19);
    for (let t = 20; t < 45; t++) at(t, NaN, NaN, 'fault');
    at(45, 0, -6.7);
    for (let t = 46; t < 60; t++) at(t, 0, 0);
    expect(changes.filter((c) => c.includes('crash'))).toEqual(['48 crash raised']);
  });

  it('is not raised for a burner arrest the sensor missed: found hovering, as far down as a burner needs', () => {
    // A vented descent at 9 m/s; silent for 25 s, during which the burner (0.4 m/s²) stops it ~100 m lower.
    const monitor = new EmergencyMonitor(config);
    const changes: string[] = [];
    for (let t = 0; t < 20; t++) changes.push(...monitor.update(reading(t, 1500 - 9 * t, -9)).map((c) => c.kind));
    for (let t = 20; t < 45; t++) monitor.update(reading(t, NaN, NaN, 'fault'));
    for (let t = 45; t < 100; t++) changes.push(...monitor.update(reading(t, 1329 - 110, 0)).map((c) => `${c.kind} ${c.active}`));
    expect(changes.some((c) => c.startsWith('crash'))).toBe(false);
  });

  it('stays active until the balloon flies again, then clears', () => {
    const monitor = new EmergencyMonitor(config);
    const changes = feed(monitor, fall(600, 0, 20, 1));
    expect(monitor.isActive('crash')).toBe(true);
    const end = 10 + 30 + 1 + 60;
    const climb: [number, number, number][] = [];
    for (let t = 0; t < 60; t++) climb.push([end + t, Math.min(3 * t, 100), 3]);
    changes.push(...feed(monitor, climb));
    expect(changes.filter((c) => c.includes('crash'))).toEqual([expect.stringMatching(/crash raised$/), expect.stringMatching(/crash cleared$/)]);
  });

  it('names the fall and the deceleration in its message', () => {
    const monitor = new EmergencyMonitor(config);
    let message = '';
    for (const [t, alt, vs] of fall(600, 0, 20, 1)) {
      for (const c of monitor.update(reading(t, alt, vs))) if (c.kind === 'crash') message = c.message;
    }
    expect(message).toMatch(/^impact: a fall at 20 m\/s stopped at 0 m with at least \d+\.\d m\/s², beyond the 0\.5 m\/s² a burner can give$/);
  });
});

describe('rapid descent', () => {
  it('does not flap when the descent rate hovers around the threshold', () => {
    const monitor = new EmergencyMonitor(config);
    const random = new SeededRandom(5);
    const samples: [number, number, number][] = [];
    for (let t = 0; t < 600; t++) samples.push([t, 800 - t, -config.rapidDescentMps + 0.3 * random.gaussian()]);
    expect(feed(monitor, samples).length).toBeLessThanOrEqual(1); // at most raised once, never cleared while it hovers
  });

  it('is raised only after the debounce time and cleared only after the clear time', () => {
    const monitor = new EmergencyMonitor(config);
    const at = (t: number, vs: number) => monitor.update(reading(t, 1000, vs)).map((c) => `${c.kind}:${c.active}`);
    for (let t = 0; t < config.rapidDescentForS; t++) expect(at(t, -10)).toEqual([]);
    expect(at(config.rapidDescentForS, -10)).toEqual(['rapid-descent:true']);
    for (let t = 1; t <= config.clearAfterS; t++) expect(at(config.rapidDescentForS + t, -1)).toEqual([]);
    expect(at(config.rapidDescentForS + 1 + config.clearAfterS, -1)).toEqual(['rapid-descent:false']);
  });
});

describe('low altitude: flying low, never a balloon at rest, wherever it rests', () => {
  /** Contour flying: up and down between 20 and 40 m for `seconds`. */
  const contour = (from: number, seconds: number): [number, number, number][] =>
    Array.from({ length: seconds }, (_, i) => {
      const w = (2 * Math.PI) / 120;
      return [from + i, 30 - 10 * Math.cos(w * i), 10 * w * Math.sin(w * i)];
    });

  it('is raised for flight low over the fields once it has gone on for the debounce time', () => {
    const approach: [number, number, number][] = Array.from({ length: 100 }, (_, i) => [i, 320 - 3 * i, -3]);
    const changes = feed(new EmergencyMonitor(config), [...approach, ...contour(100, 240)]);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatch(/low-altitude raised$/);
    const raisedAt = Number(changes[0].split(' ')[0]);
    expect(raisedAt - 100).toBeGreaterThanOrEqual(config.lowAltitudeForS);
  });

  it('is not raised for a slow final approach and landing, nor while the basket rests on the ground there', () => {
    // Terrain 30 m above the launch site: an approach at 0.25 m/s, then at rest for ten minutes.
    const samples: [number, number, number][] = [];
    let alt = 60;
    let t = 0;
    for (; alt > 30; t++) samples.push([t, (alt -= 0.25), -0.25]);
    const random = new SeededRandom(2);
    for (let i = 0; i < 600; i++, t++) samples.push([t, 30 + 0.1 * random.gaussian(), 0.05 * random.gaussian()]);
    expect(feed(new EmergencyMonitor(config), samples)).toEqual([]);
  });

  it('judges rest the same when the node samples faster than once a second', () => {
    const samples: [number, number, number][] = [];
    let alt = 60;
    let t = 0;
    for (; alt > 30; t += 0.5) samples.push([t, (alt -= 0.125), -0.25]);
    for (let i = 0; i < 1200; i++, t += 0.5) samples.push([t, 30 + 0.05 * Math.sin(i), 0.02 * Math.cos(i)]);
    expect(feed(new EmergencyMonitor(config), samples)).toEqual([]);
    // … and flight low over the fields is still raised
    const contourAt2Hz = contour(0, 240).flatMap(([time, a, v]): [number, number, number][] => [[time, a, v], [time + 0.5, a, v]]);
    expect(feed(new EmergencyMonitor(config), contourAt2Hz).some((c) => c.includes('low-altitude raised'))).toBe(true);
  });

  it('is not raised for a basket caught in trees 15 m up after a normal descent', () => {
    const samples: [number, number, number][] = [];
    let t = 0;
    for (let alt = 200; alt > 15; t++) samples.push([t, (alt -= 2), -2]);
    for (let i = 0; i < 300; i++, t++) samples.push([t, 15, 0]);
    expect(feed(new EmergencyMonitor(config), samples)).toEqual([]);
  });

  it('is not raised by a climb-out through the band after launch', () => {
    const samples: [number, number, number][] = Array.from({ length: 200 }, (_, t) => [t, t < 30 ? 0 : Math.min(0.5 * (t - 30), 300), t < 30 ? 0 : 0.5]);
    expect(feed(new EmergencyMonitor(config), samples)).toEqual([]);
  });

  it('is not judged below the launch site: the ground there is lower still', () => {
    const samples: [number, number, number][] = contour(0, 300).map(([t, alt, vs]) => [t, alt - 200, vs]);
    expect(feed(new EmergencyMonitor(config), samples)).toEqual([]);
  });
});

describe('sensor fault', () => {
  it('is raised after its debounce of fault readings and cleared after the clear time', () => {
    const monitor = new EmergencyMonitor(config);
    const changes: string[] = [];
    for (let t = 0; t < 100; t++) {
      const quality = t >= 10 && t < 40 ? 'fault' : 'ok';
      for (const c of monitor.update(reading(t, 500, 0, quality))) changes.push(`${t} ${c.kind} ${c.active}`);
    }
    expect(changes).toEqual([`${10 + config.sensorFaultForS} sensor-fault true`, `${40 + config.clearAfterS} sensor-fault false`]);
  });
});
