// A virtual clock, a fake I2C bus and the SensorIo a driver needs, wired together. Core-compatible.
import type { SensorIo } from '../../src/ports';
import { FakeI2cBus, type Environment } from './i2c-bus';
import { SeededRandom } from '../../src/sim/random';
import { VirtualClock } from './virtual-clock';

export interface SensorRig {
  clock: VirtualClock;
  bus: FakeI2cBus;
  io: SensorIo;
  /** The air the chips measure; tests change it. */
  air: { pressurePa: number; temperatureC: number };
  environment: Environment;
}

/**
 * `noisePa` adds Gaussian noise to what the chips measure, as real air and real silicon do (a live
 * barometer never reads the same value twice in a row for long); 0 gives exact readings for
 * checking compensation.
 */
export function sensorRig(air = { pressurePa: 101_325, temperatureC: 15 }, noisePa = 0): SensorRig {
  const clock = new VirtualClock();
  const bus = new FakeI2cBus();
  const random = new SeededRandom(99);
  const noise = () => random.gaussian();
  const measured = { pressurePa: 0, temperatureC: 0 };
  const rig: SensorRig = {
    clock,
    bus,
    air,
    environment: () => {
      measured.pressurePa = rig.air.pressurePa + noisePa * noise();
      measured.temperatureC = rig.air.temperatureC + (noisePa ? 0.02 * noise() : 0);
      return measured;
    },
    io: { i2c: bus.open, clock, delayMs: (ms) => clock.advance(ms) },
  };
  return rig;
}
