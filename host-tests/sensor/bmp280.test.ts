import { describe, expect, it } from 'vitest';
import { Bmp280, bmp280PressureQ24_8, bmp280Temperature } from '../../src/sensor/bmp280';
import { SensorFault } from '../../src/sensor/errors';
import { thrown } from '../support/thrown';
import { Bmp280Emulator, DATASHEET_BMP280_CALIBRATION, pressureDouble, temperatureDouble } from '../fakes/bmp280-emulator';
import { sensorRig } from '../fakes/sensor-rig';

function rigWithChip(chipId = 0x58, air = { pressurePa: 90_000, temperatureC: 15 }) {
  const rig = sensorRig(air);
  const chip = new Bmp280Emulator({ chipId, clock: rig.clock, environment: rig.environment });
  rig.bus.attach(chip);
  return { rig, chip };
}

const faultOf = (action: () => unknown) => thrown(action, SensorFault);

describe('BMP280 compensation (datasheet integer paths)', () => {
  it('reproduces the datasheet worked example: 25.08 °C and 100653.27 Pa', () => {
    const { centiC, tFine } = bmp280Temperature(519888, DATASHEET_BMP280_CALIBRATION);
    expect(centiC).toBe(2508);
    expect(tFine).toBe(128422);
    // The datasheet states 100653.27 Pa (its floating-point result); the 64-bit integer path,
    // evaluated with C's int64 semantics, gives 25767233 / 256 = 100653.254 Pa: 0.02 Pa apart.
    const pressure = bmp280PressureQ24_8(415148, tFine, DATASHEET_BMP280_CALIBRATION) / 256;
    expect(Math.abs(pressure - 100653.27)).toBeLessThan(0.05);
    expect(pressureDouble(415148, temperatureDouble(519888, DATASHEET_BMP280_CALIBRATION).tFine, DATASHEET_BMP280_CALIBRATION)).toBeCloseTo(100653.27, 2);
  });
});

describe('BMP280 / BME280 driver over the register-level emulator', () => {
  it.each([
    [101_325, 15],
    [89_874.6, 8.5],
    [54_019.9, -17.5],
    [30_500, -40],
  ])('reads %d Pa at %d °C within half a pascal (ADC step 0.16 Pa at ×16)', (pressurePa, temperatureC) => {
    const { rig } = rigWithChip(0x58, { pressurePa, temperatureC });
    const sensor = new Bmp280({ io: rig.io, address: 0x76 });
    const sample = sensor.sample();
    expect(sensor.chip).toBe('BMP280');
    expect(Math.abs(sample.pressure - pressurePa)).toBeLessThan(0.5);
    expect(Math.abs(sample.temperature - temperatureC)).toBeLessThanOrEqual(0.01);
  });

  it('tells a BME280 (chip id 0x60) from a BMP280 (0x58)', () => {
    const { rig } = rigWithChip(0x60);
    expect(new Bmp280({ io: rig.io, address: 0x76 }).chip).toBe('BME280');
  });

  it('refuses a chip with another id, naming what it found', () => {
    const { rig } = rigWithChip(0x55);
    const fault = faultOf(() => new Bmp280({ io: rig.io, address: 0x76 }));
    expect(fault.code).toBe('WRONG_CHIP');
    expect(fault.message).toContain('chip id is 0x55');
  });

  it('refuses uniform calibration data', () => {
    const { rig, chip } = rigWithChip();
    chip.calibrationFault = 0xff;
    expect(faultOf(() => new Bmp280({ io: rig.io, address: 0x76 })).code).toBe('BAD_CALIBRATION');
  });

  it('works in forced mode: each sample returns the measurement triggered by the one before', () => {
    const { rig } = rigWithChip(0x58, { pressurePa: 95_000, temperatureC: 10 });
    const sensor = new Bmp280({ io: rig.io, address: 0x76, settings: { mode: 'forced' } });
    rig.clock.advance(100);
    const first = sensor.sample().pressure;
    rig.air = { pressurePa: 94_000, temperatureC: 10 };
    rig.clock.advance(100);
    const second = sensor.sample().pressure;
    rig.clock.advance(100);
    const third = sensor.sample().pressure;
    expect(Math.round(first)).toBe(95_000);
    expect(Math.round(second)).toBe(94_000); // triggered after the air changed
    expect(Math.round(third)).toBe(94_000);
    expect(faultOf(() => sensor.sample()).code).toBe('NOT_READY'); // asked again before the conversion ends
  });

  it.each([
    ['a NACK', 'NACK', (c: Bmp280Emulator) => (c.nack = true)],
    ['all-ones data', 'ALL_ONES', (c: Bmp280Emulator) => (c.readsAs = 0xff)],
    ['all-zeros data', 'ALL_ZEROS', (c: Bmp280Emulator) => (c.readsAs = 0x00)],
    ['a reset in flight', 'CHIP_RESET', (c: Bmp280Emulator) => c.powerOn()],
    ['the "no measurement" value 0x80000', 'NO_MEASUREMENT', (c: Bmp280Emulator) => c.forceRaw(0x80000, 0x80000)],
    ['an impossible pressure', 'IMPOSSIBLE', (c: Bmp280Emulator) => c.forceRaw(0x00010, 519888)],
  ])('reports %s as a typed fault (%s)', (_name, code, inject) => {
    const { rig, chip } = rigWithChip();
    const sensor = new Bmp280({ io: rig.io, address: 0x76 });
    sensor.sample();
    inject(chip);
    expect(faultOf(() => sensor.sample()).code).toBe(code);
  });

  it('reports a hung bus as a timeout and recovers by re-initialising once it is released', () => {
    const { rig, chip } = rigWithChip();
    const sensor = new Bmp280({ io: rig.io, address: 0x76 });
    rig.bus.hung = true;
    expect(faultOf(() => sensor.sample()).code).toBe('TIMEOUT');
    rig.bus.hung = false;
    chip.powerOn();
    expect(faultOf(() => sensor.sample()).code).toBe('CHIP_RESET');
    sensor.reinitialize();
    expect(Math.round(sensor.sample().pressure)).toBe(90_000);
  });
});
