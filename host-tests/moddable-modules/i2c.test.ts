// ECMA-419 I2C on the ESP32 as the emulator keeps it (modules/io/i2c/_i2c.js with esp32/_i2c.c over
// ESP-IDF's i2c_master driver), and the firmware's sensor port (src/platform/moddable/esp32/
// sensor-io.ts and barometer.ts) on top of it, with the register-level chip emulators on the bus.
import { beforeEach, describe, expect, it } from 'vitest';
import I2C from '../fakes/moddable/sdk/embedded-io-i2c';
import { moddableSensorIo } from '../../src/platform/moddable/esp32/sensor-io';
import { createBarometerOpener } from '../../src/platform/moddable/esp32/barometer';
import { Altimeter } from '../../src/sensor/altimeter';
import { Esp32Device, installDevice } from '../fakes/moddable/esp32-device';
import { Bmp280Emulator } from '../fakes/bmp280-emulator';
import { Ms5611Emulator } from '../fakes/ms5611-emulator';
import { I2cBusError, type I2cPeripheral } from '../fakes/i2c-bus';
import { thrown } from '../support/thrown';

const air = { pressurePa: 89_874.6, temperatureC: 11.2 };
const environment = () => air;
let device: Esp32Device;
beforeEach(() => {
  device = installDevice(new Esp32Device());
});
const pins = { data: 21, clock: 22, hz: 400_000 };

/** A peripheral that records every transfer, to see what reaches the bus. */
class Recorder implements I2cPeripheral {
  readonly transfers: string[] = [];
  nack = false;
  constructor(readonly address: number) {}
  onWrite(bytes: Uint8Array, stop: boolean): void {
    if (this.nack) throw new I2cBusError('NACK', 'no ack');
    this.transfers.push(`write ${Array.from(bytes).join(',')}${stop ? ' STOP' : ''}`);
  }
  onRead(buffer: Uint8Array): void {
    if (this.nack) throw new I2cBusError('NACK', 'no ack');
    buffer.fill(0xa5);
    this.transfers.push(`read ${buffer.length} STOP`);
  }
}

describe('embedded:io/i2c (esp32/_i2c.c)', () => {
  it('cannot hold the bus for a repeated start: the wrapper drops write()\'s second argument and every transfer ends with STOP', () => {
    const chip = new Recorder(0x76);
    device.i2c.set(0x76, chip);
    const bus = new I2C({ ...pins, address: 0x76 });
    (bus.write as (buffer: unknown, stop: boolean) => void)(Uint8Array.of(0xd0), false);
    expect(bus.read(2)).toBeInstanceOf(ArrayBuffer);
    const into = new Uint8Array(3);
    expect(bus.read(into)).toBe(3);
    expect(chip.transfers).toEqual(['write 208 STOP', 'read 2 STOP', 'read 3 STOP']);
  });

  it('reports a NACK and a hung bus alike ("write failed" / "read failed"): the ESP32 driver does not tell them apart', () => {
    const chip = new Recorder(0x76);
    device.i2c.set(0x76, chip);
    const bus = new I2C({ ...pins, address: 0x76 });
    chip.nack = true;
    expect(thrown(() => bus.write(Uint8Array.of(1)), Error).message).toBe('write failed');
    chip.nack = false;
    device.i2cHung = true;
    expect(thrown(() => bus.read(1), Error).message).toBe('read failed');
    expect(bus.write(new Uint8Array(0))).toBe(1); // a zero-length write probes: 1 when nobody acknowledges
    device.i2cHung = false;
    expect(bus.write(new Uint8Array(0))).toBeUndefined();
  });

  it.each([
    [{ clock: 22, hz: 100_000, address: 0x76 }, 'data required', RangeError],
    [{ data: 21, clock: 22, hz: 100_000 }, 'address required', RangeError],
    [{ ...pins, address: 128 }, 'invalid address', RangeError],
    [{ ...pins, address: -1 }, 'negative', RangeError],
    [{ data: 21, clock: 22, address: 0x76 }, 'invalid hz', RangeError], // hz is required: undefined reads as 0
    [{ ...pins, hz: 30_000_000, address: 0x76 }, 'invalid hz', RangeError],
    [{ data: 34, clock: 22, hz: 100_000, address: 0x76 }, 'unusable pins', RangeError], // GPIO 34 is input-only
    [{ ...pins, address: 0x76, port: 2 }, 'invalid port', RangeError],
    [{ ...pins, address: 0x76, timeout: -2 }, 'invalid timeout', RangeError],
    [{ ...pins, address: 0x76, format: 'number' }, 'invalid format', RangeError],
  ] as [object, string, ErrorConstructor][])('new I2C(%o) throws "%s"', (options, message, errorClass) => {
    expect(thrown(() => new I2C(options), errorClass).message).toBe(message);
  });

  it('refuses a second object for the same pins and address until the first is closed, and a closed one throws', () => {
    const first = new I2C({ ...pins, address: 0x76 });
    expect(thrown(() => new I2C({ ...pins, address: 0x76 }), RangeError).message).toBe('duplicate address');
    expect(() => new I2C({ ...pins, address: 0x77 })).not.toThrow(); // another device on the same bus
    first.close();
    first.close();
    expect(thrown(() => first.read(1), SyntaxError).message).toBe('C: xsGetHostData: invalid host data');
    expect(() => new I2C({ ...pins, address: 0x76 })).not.toThrow();
  });
});

describe('the firmware sensor port over ECMA-419 I2C (esp32/sensor-io.ts, esp32/barometer.ts)', () => {
  it('probes and reads a BMP280 on the board pins, converting with Timer.delay', () => {
    device.i2c.set(0x76, new Bmp280Emulator({ address: 0x76, chipId: 0x58, clock: device.clock, environment }));
    const barometer = createBarometerOpener({ i2cSda: 21, i2cScl: 22, i2cHz: 400_000 }, device.clock)();
    expect(barometer.chip).toBe('BMP280');
    const sample = barometer.sample();
    expect(Math.abs(sample.pressure - air.pressurePa)).toBeLessThan(1);
    expect(Math.abs(sample.temperature - air.temperatureC)).toBeLessThan(0.01);
  });

  it('reads an MS5611 whose conversions take time (write command, STOP, wait, read the ADC)', () => {
    device.i2c.set(0x77, new Ms5611Emulator({ address: 0x77, clock: device.clock, environment }));
    const barometer = createBarometerOpener({ i2cSda: 21, i2cScl: 22 }, device.clock)();
    expect(barometer.chip).toBe('MS5611');
    expect(Math.abs(barometer.sample().pressure - air.pressurePa)).toBeLessThanOrEqual(1.5);
  });

  it('turns a failed transfer into a NACK fault, and recovers the chip again and again without leaking I2C objects', () => {
    const chip = new Bmp280Emulator({ address: 0x76, chipId: 0x58, clock: device.clock, environment });
    device.i2c.set(0x76, chip);
    const io = moddableSensorIo(pins, device.clock);
    const failing = io.i2c(0x77);
    expect((thrown(() => failing.write(Uint8Array.of(0xd0)), Error) as Error & { code: string }).code).toBe('NACK');
    failing.close();
    const altimeter = new Altimeter({ open: createBarometerOpener({ i2cSda: 21, i2cScl: 22 }, device.clock), clock: device.clock });
    for (let cycle = 0; cycle < 5; cycle++) {
      chip.nack = true;
      for (let i = 0; i < 3; i++) {
        device.clock.advance(1000);
        expect(altimeter.read().quality).toBe('fault');
      }
      chip.nack = false;
      device.clock.advance(12_000); // past the re-initialisation backoff
      expect(altimeter.read().quality).not.toBe('fault');
    }
    expect(device.pinsInUse).toEqual(new Set([21, 22]));
  });
});
