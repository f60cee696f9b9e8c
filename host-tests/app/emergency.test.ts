import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/app/config';
import { EmergencyMonitor } from '../../src/app/emergency';
import { Altimeter, type AltitudeReading } from '../../src/sensor/altimeter';
import { SimulatedBarometer, type FlightScenario } from '../../src/sensor/simulated';
import { VirtualClock } from '../fakes/virtual-clock';
import { noiseSource } from '../fakes/synthetic-flight';

/** Flies a scenario through the real altimeter and records every emergency change with its time. */
function flyScenario(scenario: FlightScenario): string[] {
  const clock = new VirtualClock(0);
  const barometer = new SimulatedBarometer({ clock, scenario });
  const altimeter = new Altimeter({ open: () => barometer, clock });
  const monitor = new EmergencyMonitor(DEFAULT_CONFIG.emergency);
  const events: string[] = [];
  for (let t = 1; t <= 4300; t++) {
    clock.advance(1000);
    for (const change of monitor.update(altimeter.read())) events.push(`${t}s ${change.kind} ${change.active ? 'raised' : 'cleared'}`);
  }
  return events;
}

function reading(t: number, altitudeM: number, verticalSpeedMps: number, quality: AltitudeReading['quality'] = 'ok'): AltitudeReading {
  const fault = quality === 'fault';
  return {
    timestampMs: t * 1000, pressurePa: fault ? NaN : 90_000, temperatureC: fault ? NaN : 10,
    altitudeM: fault ? NaN : altitudeM, verticalSpeedMps: fault ? NaN : verticalSpeedMps,
    quality, fault: fault ? 'NACK' : undefined, faultMessage: fault ? 'no acknowledge' : '',
  };
}

describe('emergency rules on the simulated flights', () => {
  it('raises nothing on a normal flight, landing included', () => {
    expect(flyScenario('normal')).toEqual([]);
  });

  it('raises rapid descent during the fall and crash at the impact, and the crash stays', () => {
    const events = flyScenario('crash');
    const crash = events.find((e) => e.includes('crash raised'));
    const descent = events.find((e) => e.includes('rapid-descent raised'));
    expect(descent).toBeDefined();
    expect(crash).toBeDefined();
    expect(parseInt(descent!)).toBeLessThan(parseInt(crash!));
    expect(parseInt(crash!)).toBeLessThan(600);
    expect(events.some((e) => e.includes('crash cleared'))).toBe(false);
  });

  it('raises and clears sensor-fault around the chip going silent', () => {
    const events = flyScenario('sensor-fault');
    expect(events.filter((e) => e.includes('sensor-fault'))).toHaveLength(4); // the silent minute, then the frozen reading
    expect(events[0]).toMatch(/^9\d\ds sensor-fault raised$/);
  });
});

describe('emergency rules at their edges', () => {
  const config = DEFAULT_CONFIG.emergency;

  it('does not flap when the descent rate hovers around the threshold', () => {
    const monitor = new EmergencyMonitor(config);
    const noise = noiseSource(5);
    const changes: string[] = [];
    for (let t = 0; t < 600; t++) {
      const vs = -config.rapidDescentMps + 0.3 * noise(); // noise straddling the limit
      for (const c of monitor.update(reading(t, 800 - t, vs))) changes.push(`${t} ${c.kind} ${c.active}`);
    }
    expect(changes.length).toBeLessThanOrEqual(1); // at most raised once, never cleared while it hovers
  });

  it('raises rapid descent only after the debounce time and clears only after the clear time', () => {
    const monitor = new EmergencyMonitor(config);
    const at = (t: number, vs: number) => monitor.update(reading(t, 1000, vs)).map((c) => `${c.kind}:${c.active}`);
    for (let t = 0; t < config.rapidDescentForS; t++) expect(at(t, -10)).toEqual([]);
    expect(at(config.rapidDescentForS, -10)).toEqual(['rapid-descent:true']);
    // gone from rapidDescentForS + 1; cleared once it has been gone for clearAfterS
    for (let t = 1; t <= config.clearAfterS; t++) expect(at(config.rapidDescentForS + t, -1)).toEqual([]);
    expect(at(config.rapidDescentForS + 1 + config.clearAfterS, -1)).toEqual(['rapid-descent:false']);
  });

  it('raises low altitude for level flight below the floor, not for a landing approach', () => {
    const monitor = new EmergencyMonitor(config);
    const changes: string[] = [];
    const feed = (t: number, alt: number, vs: number) => changes.push(...monitor.update(reading(t, alt, vs)).map((c) => `${t} ${c.kind} ${c.active}`));
    for (let t = 0; t < 60; t++) feed(t, 300 - 4 * t, -4); // descending through the floor…
    for (let t = 60; t < 80; t++) feed(t, 60 - 3 * (t - 60), -2.5);
    expect(changes).toEqual([]);
    for (let t = 80; t < 120; t++) feed(t, 20, 0); // …then hanging at 20 m
    expect(changes).toEqual([`${80 + config.lowAltitudeForS} low-altitude true`]);
  });

  it('does not call a firm landing a crash', () => {
    const monitor = new EmergencyMonitor(config);
    const changes: string[] = [];
    for (let t = 0; t < 100; t++) changes.push(...monitor.update(reading(t, Math.max(0, 200 - 3 * t), t < 67 ? -3 : 0)).map((c) => c.kind));
    expect(changes).not.toContain('crash');
  });
});
