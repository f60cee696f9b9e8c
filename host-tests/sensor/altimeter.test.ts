import { describe, expect, it } from 'vitest';
import { Altimeter, type AltitudeReading } from '../../src/sensor/altimeter';
import { pressureAtAltitudePa } from '../../src/sensor/altitude';
import { probeBarometer } from '../../src/sensor/probe';
import { flyScenario } from '../../src/sim/scenarios';
import { Bmp280Emulator } from '../fakes/bmp280-emulator';
import { sensorRig } from '../fakes/sensor-rig';

function bmp280Altimeter(options: { referencePa?: number } = {}) {
  const rig = sensorRig({ pressurePa: 100_000, temperatureC: 15 }, 1.0);
  const chip = new Bmp280Emulator({ clock: rig.clock, environment: rig.environment });
  rig.bus.attach(chip);
  const log: string[] = [];
  const altimeter = new Altimeter({ open: () => probeBarometer(rig.io), clock: rig.clock, log: (l) => log.push(l), ...options });
  const step = (): AltitudeReading => {
    rig.clock.advance(1000);
    return { ...altimeter.read() };
  };
  return { rig, chip, altimeter, step, log };
}

describe('altimeter: from chip to a reading you can trust', () => {
  it('zeroes at the launch site and then tracks a climb', () => {
    const { rig, step } = bmp280Altimeter();
    for (let i = 0; i < 5; i++) expect(Math.abs(step().altitudeM)).toBeLessThan(0.5);
    let reading = step();
    for (let t = 1; t <= 60; t++) {
      rig.air = { pressurePa: pressureAtAltitudePa(3 * t, 100_000), temperatureC: 15 };
      reading = step();
    }
    expect(reading.quality).toBe('ok');
    expect(reading.altitudeM).toBeGreaterThan(175);
    expect(reading.verticalSpeedMps).toBeGreaterThan(2.5);
    expect(reading.verticalSpeedMps).toBeLessThan(3.5);
  });

  it('rejects a single spike from a bus glitch: marked degraded, the altitude does not jump', () => {
    const { chip, step } = bmp280Altimeter();
    for (let i = 0; i < 10; i++) step();
    chip.spikeRawPressure = chip.lastRaw.adcP + 30_000; // a wild raw value (~400 m), still inside the chip's range
    const spike = step();
    const after = step();
    expect(Math.abs(spike.altitudeM)).toBeLessThan(2);
    expect(Math.abs(after.altitudeM)).toBeLessThan(2);
  });

  it('reports a fault with no numbers, retries with growing backoff and recovers by itself', () => {
    const { chip, step, log } = bmp280Altimeter();
    for (let i = 0; i < 5; i++) step();
    chip.powerOn(); // a brown-out: the chip lost its configuration
    const faulty = step();
    expect(faulty).toMatchObject({ quality: 'fault', fault: 'CHIP_RESET' });
    expect(Number.isNaN(faulty.altitudeM) && Number.isNaN(faulty.pressurePa)).toBe(true);
    chip.nack = true; // and it does not answer the first re-initialisations
    const during = Array.from({ length: 6 }, step);
    expect(during.every((r) => r.quality === 'fault')).toBe(true);
    expect(log.filter((l) => /retry in/.test(l)).map((l) => /retry in (\d+)/.exec(l)![1])).toEqual(['1000', '2000', '4000']);
    chip.nack = false;
    const after = Array.from({ length: 8 }, step);
    expect(after.at(-1)).toMatchObject({ quality: 'ok', fault: undefined });
    expect(Math.abs(after.at(-1)!.altitudeM)).toBeLessThan(1);
  });

  it('declares a frozen reading stuck', () => {
    const { chip, step } = bmp280Altimeter();
    step();
    chip.stuck = true;
    const readings = Array.from({ length: 12 }, step);
    expect(readings.some((r) => r.fault === 'STUCK')).toBe(true);
  });

  it('keeps the climb rate when the reference changes to a QNH', () => {
    const { altimeter, step } = bmp280Altimeter();
    for (let i = 0; i < 5; i++) step();
    altimeter.setReference(101_325);
    const reading = step();
    expect(reading.altitudeM).toBeGreaterThan(100); // 100,000 Pa is about 110 m above standard sea level
    expect(Math.abs(reading.verticalSpeedMps)).toBeLessThan(0.5);
    expect(() => altimeter.setReference(5)).toThrow(/not between/);
  });

  it('names the failure when there is no sensor at all, and keeps trying', () => {
    const rig = sensorRig();
    const altimeter = new Altimeter({ open: () => probeBarometer(rig.io), clock: rig.clock });
    const reading = altimeter.read();
    expect(reading).toMatchObject({ quality: 'fault', fault: 'NOT_FOUND' });
    rig.bus.attach(new Bmp280Emulator({ clock: rig.clock, environment: rig.environment }));
    rig.clock.advance(1000);
    expect(altimeter.read().quality).not.toBe('fault');
  });

  it('rides through the simulated sensor-fault scenario: faults reported, never a wrong number', () => {
    const rig = sensorRig();
    // Launch at sea level: zeroed elsewhere, the standard atmosphere's temperature profile starts at
    // the wrong temperature and heights read about 0.3 % off (a property of barometric altimetry).
    const { flight, barometer } = flyScenario('sensor-fault', rig.clock, { launchElevationM: 0 });
    const altimeter = new Altimeter({ open: () => barometer, clock: rig.clock });
    const faults = new Set<string>();
    let worst = 0;
    let worstAt = 0;
    for (let t = 0; t < 1800; t++) {
      rig.clock.advance(1000);
      const reading = altimeter.read();
      if (reading.quality === 'fault') faults.add(reading.fault!);
      const error = Math.abs(reading.altitudeM - flight.at(rig.clock.now()).altitudeM);
      if (reading.quality === 'ok' && error > worst) [worst, worstAt] = [error, t];
    }
    expect([...faults].sort()).toEqual(['NACK', 'STUCK']);
    expect(worst, `worst error at ${worstAt} s`).toBeLessThan(3);
  });
});
