// Finds which barometer is on the bus and returns its driver. Bosch chips are told apart by their
// chip id (register 0xD0 for BMP280/BME280, 0x00 for BMP388/BMP390); the MS5611 has no id, so it
// is recognised by a PROM whose CRC-4 checks out.
import type { SensorIo } from '../ports';
import { Registers, type Barometer, type ChipName } from './barometer';
import { Bmp280, BME280_CHIP_ID, BMP280_CHIP_ID } from './bmp280';
import { Bmp3xx, BMP388_CHIP_ID, BMP390_CHIP_ID } from './bmp3xx';
import { SensorFault } from './errors';
import { Ms5611 } from './ms5611';

/** Where these chips live: SDO/CSB pin low → 0x76, high → 0x77 (the MS5611's CSB is inverted). */
export const BAROMETER_ADDRESSES = [0x76, 0x77];

export interface ProbeOptions {
  addresses?: number[];
  /** Only accept this chip (from the board config), or 'auto'. */
  chip?: ChipName | 'auto';
}

const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;

export function probeBarometer(io: SensorIo, options: ProbeOptions = {}): Barometer {
  const { addresses = BAROMETER_ADDRESSES, chip = 'auto' } = options;
  const findings: string[] = [];
  for (const address of addresses) {
    const registers = new Registers(io.i2c(address), 'probe');
    let idD0: number;
    let id00: number;
    try {
      idD0 = registers.readByte(0xd0);
      id00 = registers.readByte(0x00);
    } catch (error) {
      findings.push(`${hex(address)}: ${(error as SensorFault).code === 'TIMEOUT' ? 'bus timeout' : 'no answer'}`);
      continue;
    } finally {
      registers.close();
    }
    let candidate: ChipName | 'MS5611?' | undefined;
    if (idD0 === BMP280_CHIP_ID) candidate = 'BMP280';
    else if (idD0 === BME280_CHIP_ID) candidate = 'BME280';
    else if (id00 === BMP388_CHIP_ID) candidate = 'BMP388';
    else if (id00 === BMP390_CHIP_ID) candidate = 'BMP390';
    else candidate = 'MS5611?';
    if (chip !== 'auto' && candidate !== chip && !(candidate === 'MS5611?' && chip === 'MS5611')) {
      findings.push(`${hex(address)}: a ${candidate === 'MS5611?' ? 'device without a Bosch chip id' : candidate}, but the config asks for ${chip}`);
      continue;
    }
    try {
      if (candidate === 'BMP280' || candidate === 'BME280') return new Bmp280({ io, address });
      if (candidate === 'BMP388' || candidate === 'BMP390') return new Bmp3xx({ io, address });
      return new Ms5611({ io, address });
    } catch (error) {
      const fault = error as SensorFault;
      findings.push(
        candidate === 'MS5611?'
          ? `${hex(address)}: answered (register 0xD0 = ${hex(idD0)}, 0x00 = ${hex(id00)}) but is not a BMP280, BME280, BMP388, BMP390 or MS5611 (${fault.message})`
          : `${hex(address)}: ${candidate} failed to start: ${fault.message}`,
      );
    }
  }
  throw new SensorFault('NOT_FOUND', `no barometer found. ${findings.join('; ')}`);
}
