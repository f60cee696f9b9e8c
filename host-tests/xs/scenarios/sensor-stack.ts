// The sensor stack (drivers over register-level emulators, probe, altitude, filters, Kalman,
// altimeter, simulated flights) exercised the same way on Node and on XS. Numbers are rounded to
// 1e-6 so that last-bit differences between the engines' Math.pow cannot matter.
import { Altimeter } from '../../../src/sensor/altimeter';
import { altitudeM } from '../../../src/sensor/altitude';
import { bmp280PressureQ24_8, bmp280Temperature } from '../../../src/sensor/bmp280';
import { ms5611Compensate } from '../../../src/sensor/ms5611';
import { probeBarometer } from '../../../src/sensor/probe';
import { checkFlight } from '../../../src/sim/flight-check';
import { scenario } from '../../../src/sim/scenarios';
import { Bmp280Emulator, DATASHEET_BMP280_CALIBRATION } from '../../fakes/bmp280-emulator';
import { Bmp3Emulator } from '../../fakes/bmp3-emulator';
import { DATASHEET_MS5611_COEFFICIENTS, Ms5611Emulator } from '../../fakes/ms5611-emulator';
import { sensorRig } from '../../fakes/sensor-rig';

const round = (x: number) => Math.round(x * 1e6) / 1e6;

export function datasheetExamples() {
  const t = bmp280Temperature(519888, DATASHEET_BMP280_CALIBRATION);
  return {
    bmp280: [t.centiC, t.tFine, bmp280PressureQ24_8(415148, t.tFine, DATASHEET_BMP280_CALIBRATION)],
    ms5611: ms5611Compensate(9085466, 8569150, [0, ...DATASHEET_MS5611_COEFFICIENTS, 0]),
    altitude: [101_325, 89_874.6, 54_019.9, 22_632.1].map((p) => round(altitudeM(p))),
  };
}

export function probeEveryChip() {
  const found: string[] = [];
  const chips = [
    (rig: ReturnType<typeof sensorRig>) => new Bmp280Emulator({ address: 0x76, chipId: 0x58, clock: rig.clock, environment: rig.environment }),
    (rig: ReturnType<typeof sensorRig>) => new Bmp280Emulator({ address: 0x77, chipId: 0x60, clock: rig.clock, environment: rig.environment }),
    (rig: ReturnType<typeof sensorRig>) => new Bmp3Emulator({ address: 0x76, chipId: 0x50, clock: rig.clock, environment: rig.environment }),
    (rig: ReturnType<typeof sensorRig>) => new Bmp3Emulator({ address: 0x77, chipId: 0x60, clock: rig.clock, environment: rig.environment }),
    (rig: ReturnType<typeof sensorRig>) => new Ms5611Emulator({ address: 0x77, clock: rig.clock, environment: rig.environment }),
  ];
  for (const make of chips) {
    const rig = sensorRig({ pressurePa: 84_556, temperatureC: 5.25 });
    rig.bus.attach(make(rig));
    const barometer = probeBarometer(rig.io);
    const sample = barometer.sample();
    found.push(`${barometer.chip}@0x${barometer.address.toString(16)} ${round(sample.pressure)} Pa ${round(sample.temperature)} C`);
  }
  try {
    probeBarometer(sensorRig().io);
  } catch (error) {
    found.push((error as Error).message);
  }
  return found;
}

export function faultsAndRecovery() {
  const rig = sensorRig({ pressurePa: 100_000, temperatureC: 15 }, 1.0);
  const chip = new Bmp280Emulator({ clock: rig.clock, environment: rig.environment });
  rig.bus.attach(chip);
  const altimeter = new Altimeter({ open: () => probeBarometer(rig.io), clock: rig.clock });
  const log: string[] = [];
  const faults: [number, (c: Bmp280Emulator) => void][] = [
    [5, (c) => (c.nack = true)],
    [8, (c) => (c.nack = false)],
    [20, (c) => c.powerOn()],
    [30, (c) => (c.readsAs = 0xff)],
    [33, (c) => (c.readsAs = undefined)],
    [45, (c) => (c.stuck = true)],
    [60, (c) => (c.stuck = false)],
  ];
  for (let t = 0; t < 80; t++) {
    for (const [at, inject] of faults) if (at === t) inject(chip);
    rig.clock.advance(1000);
    const r = altimeter.read();
    log.push(`${t} ${r.quality} ${r.fault ?? ''} ${r.quality === 'fault' ? '' : round(r.altitudeM)}`);
  }
  return log;
}

/** The normal and crash flights through the simulated chip, the altimeter and the emergency rules. */
export function simulatedFlights() {
  return (['normal', 'crash'] as const).map((name) => {
    const check = checkFlight(scenario(name));
    return {
      name,
      raised: check.raised,
      events: check.events.map((e) => `${e.atS} ${e.kind} ${e.active}`),
      worstSpeedError: round(check.worstSpeedErrorMps),
      qualities: check.qualities,
    };
  });
}
