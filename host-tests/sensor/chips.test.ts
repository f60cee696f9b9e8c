import { describe, expect, it } from 'vitest';
import { Bmp3xx } from '../../src/sensor/bmp3xx';
import { SensorFault } from '../../src/sensor/errors';
import { thrown } from '../support/thrown';
import { Ms5611, ms5611Compensate, ms5611Crc4 } from '../../src/sensor/ms5611';
import { probeBarometer } from '../../src/sensor/probe';
import { Bmp280Emulator } from '../fakes/bmp280-emulator';
import { Bmp3Emulator } from '../fakes/bmp3-emulator';
import { DATASHEET_MS5611_COEFFICIENTS, Ms5611Emulator, ms5611Prom } from '../fakes/ms5611-emulator';
import { sensorRig } from '../fakes/sensor-rig';

const faultOf = (action: () => unknown) => thrown(action, SensorFault);

describe('BMP388 / BMP390', () => {
  it.each([
    [0x50, 'BMP388'],
    [0x60, 'BMP390'],
  ])('identifies chip id 0x%s as %s and reads pressure and temperature', (chipId, name) => {
    const rig = sensorRig({ pressurePa: 84_500, temperatureC: 21.3 });
    rig.bus.attach(new Bmp3Emulator({ chipId, clock: rig.clock, environment: rig.environment }));
    const sensor = new Bmp3xx({ io: rig.io, address: 0x77 });
    expect(sensor.chip).toBe(name);
    const sample = sensor.sample();
    expect(Math.abs(sample.pressure - 84_500)).toBeLessThan(0.5);
    expect(Math.abs(sample.temperature - 21.3)).toBeLessThan(0.01);
  });

  it('detects a reset in flight, NACKs and all-ones data', () => {
    const rig = sensorRig();
    const chip = new Bmp3Emulator({ clock: rig.clock, environment: rig.environment });
    rig.bus.attach(chip);
    const sensor = new Bmp3xx({ io: rig.io, address: 0x77 });
    sensor.sample();
    chip.powerOn();
    expect(faultOf(() => sensor.sample()).code).toBe('CHIP_RESET');
    sensor.reinitialize();
    expect(Math.round(sensor.sample().pressure)).toBe(101_325);
    chip.readsAs = 0xff;
    expect(faultOf(() => sensor.sample()).code).toBe('ALL_ONES');
    chip.readsAs = undefined;
    chip.nack = true;
    expect(faultOf(() => sensor.sample()).code).toBe('NACK');
  });
});

describe('MS5611', () => {
  it('reproduces the datasheet example: 20.07 °C and 1000.09 mbar', () => {
    const prom = [0, ...DATASHEET_MS5611_COEFFICIENTS, 0];
    expect(ms5611Compensate(9085466, 8569150, prom)).toEqual({ centiC: 2007, pressurePa: 100009 });
  });

  it('applies the second-order correction below 20 °C and below −15 °C', () => {
    const prom = [0, ...DATASHEET_MS5611_COEFFICIENTS, 0];
    const cold = ms5611Compensate(9085466, 8_000_000, prom);
    const veryCold = ms5611Compensate(9085466, 7_400_000, prom);
    expect(cold.centiC).toBeLessThan(2000);
    expect(veryCold.centiC).toBeLessThan(-1500);
    // Without second order the first-order TEMP would be higher than the corrected one.
    const firstOrder = 2000 + Math.trunc(((8_000_000 - 33464 * 256) * 28312) / 2 ** 23);
    expect(cold.centiC).toBeLessThan(firstOrder + 1);
  });

  it('checks the PROM CRC-4 (AN520) and refuses a corrupted PROM', () => {
    const prom = ms5611Prom();
    expect(ms5611Crc4(prom)).toBe(prom[7] & 0x0f);
    const rig = sensorRig();
    const corrupted = [...prom];
    corrupted[3] ^= 0x0100;
    rig.bus.attach(new Ms5611Emulator({ clock: rig.clock, environment: rig.environment, prom: corrupted }));
    const fault = faultOf(() => new Ms5611({ io: rig.io, address: 0x77 }));
    expect(fault.code).toBe('BAD_CALIBRATION');
    expect(fault.message).toContain('CRC-4');
  });

  it('reads pressure and temperature through the command-level emulator, waiting for each conversion', () => {
    const rig = sensorRig({ pressurePa: 70_108.5, temperatureC: -4.5 });
    rig.bus.attach(new Ms5611Emulator({ clock: rig.clock, environment: rig.environment }));
    const sensor = new Ms5611({ io: rig.io, address: 0x77 });
    const start = rig.clock.now();
    const sample = sensor.sample();
    expect(Math.abs(sample.pressure - 70_108.5)).toBeLessThanOrEqual(1.5); // 1 Pa resolution
    expect(Math.abs(sample.temperature + 4.5)).toBeLessThanOrEqual(0.02);
    expect(rig.clock.now() - start).toBeGreaterThanOrEqual(18); // two OSR 4096 conversions of ≥ 9.04 ms
  });

  it('reports a conversion lost to a reset as NO_MEASUREMENT', () => {
    const rig = sensorRig();
    const chip = new Ms5611Emulator({ clock: rig.clock, environment: rig.environment });
    rig.bus.attach(chip);
    const sensor = new Ms5611({ io: rig.io, address: 0x77 });
    chip.dropConversion = true;
    expect(faultOf(() => sensor.sample()).code).toBe('NO_MEASUREMENT');
  });
});

describe('probe', () => {
  const cases: [string, number, (rig: ReturnType<typeof sensorRig>, address: number) => void][] = [
    ['BMP280', 0x76, (rig, address) => rig.bus.attach(new Bmp280Emulator({ address, chipId: 0x58, clock: rig.clock, environment: rig.environment }))],
    ['BME280', 0x77, (rig, address) => rig.bus.attach(new Bmp280Emulator({ address, chipId: 0x60, clock: rig.clock, environment: rig.environment }))],
    ['BMP388', 0x76, (rig, address) => rig.bus.attach(new Bmp3Emulator({ address, chipId: 0x50, clock: rig.clock, environment: rig.environment }))],
    ['BMP390', 0x77, (rig, address) => rig.bus.attach(new Bmp3Emulator({ address, chipId: 0x60, clock: rig.clock, environment: rig.environment }))],
    ['MS5611', 0x77, (rig, address) => rig.bus.attach(new Ms5611Emulator({ address, clock: rig.clock, environment: rig.environment }))],
    ['MS5611', 0x76, (rig, address) => rig.bus.attach(new Ms5611Emulator({ address, clock: rig.clock, environment: rig.environment }))],
  ];
  it.each(cases)('finds a %s at 0x%s', (chip, address, attach) => {
    const rig = sensorRig();
    attach(rig, address);
    const barometer = probeBarometer(rig.io);
    expect({ chip: barometer.chip, address: barometer.address }).toEqual({ chip, address });
    expect(Math.abs(barometer.sample().pressure - 101_325)).toBeLessThan(1.5);
  });

  it('says clearly when nothing answers', () => {
    const fault = faultOf(() => probeBarometer(sensorRig().io));
    expect(fault.code).toBe('NOT_FOUND');
    expect(fault.message).toBe('no barometer found. 0x76: no answer; 0x77: no answer');
  });

  it('names what it found when an unknown device answers', () => {
    const rig = sensorRig();
    rig.bus.attach(new Bmp280Emulator({ address: 0x76, chipId: 0x55, clock: rig.clock, environment: rig.environment }));
    const fault = faultOf(() => probeBarometer(rig.io));
    expect(fault.message).toMatch(/0x76: answered \(register 0xD0 = 0x55, 0x00 = 0x00\) but is not a BMP280, BME280, BMP388, BMP390 or MS5611/i);
  });

  it('refuses a chip other than the one the config asks for', () => {
    const rig = sensorRig();
    rig.bus.attach(new Bmp280Emulator({ address: 0x76, chipId: 0x58, clock: rig.clock, environment: rig.environment }));
    const fault = faultOf(() => probeBarometer(rig.io, { chip: 'BMP390' }));
    expect(fault.message).toContain('0x76: a BMP280, but the config asks for BMP390');
  });
});
