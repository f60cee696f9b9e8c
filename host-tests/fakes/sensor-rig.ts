// A virtual clock, a fake I2C bus and the SensorIo a driver needs, wired together. Core-compatible.
import type { SensorIo } from '../../src/ports';
import { FakeI2cBus, type Environment } from './i2c-bus';
import { VirtualClock } from './virtual-clock';

export interface SensorRig {
  clock: VirtualClock;
  bus: FakeI2cBus;
  io: SensorIo;
  /** The air the chips measure; tests change it. */
  air: { pressurePa: number; temperatureC: number };
  environment: Environment;
}

export function sensorRig(air = { pressurePa: 101_325, temperatureC: 15 }): SensorRig {
  const clock = new VirtualClock();
  const bus = new FakeI2cBus();
  const rig: SensorRig = {
    clock,
    bus,
    air,
    environment: () => rig.air,
    io: { i2c: bus.open, clock, delayMs: (ms) => clock.advance(ms) },
  };
  return rig;
}
