// What every barometer driver offers (the ECMA-419 sensor class pattern) and the register access
// the Bosch chips share.
import type { I2cDevice, SensorIo } from '../ports';
import { SensorFault } from './errors';

export type ChipName = 'BMP280' | 'BME280' | 'BMP388' | 'BMP390' | 'MS5611' | 'SIMULATED';

export interface BarometerSample {
  /** Pa */
  pressure: number;
  /** °C */
  temperature: number;
}

export interface Barometer {
  readonly chip: ChipName;
  readonly address: number;
  /**
   * Reads the latest measurement. Throws a SensorFault on a bus error or data that cannot be right.
   * The returned object is reused by the next call: copy what you keep.
   */
  sample(): BarometerSample;
  /** Resets the chip and reads and checks its calibration again (after a fault). */
  reinitialize(): void;
  close(): void;
}

export interface BarometerOptions {
  io: SensorIo;
  address: number;
}

/** Register reads and writes over one I2C device, with bus errors turned into SensorFaults. */
export class Registers {
  readonly #device: I2cDevice;
  readonly #chip: string;
  readonly #pointer = new Uint8Array(1);
  readonly #one = new Uint8Array(1);
  readonly #pair = new Uint8Array(2);

  constructor(device: I2cDevice, chip: string) {
    this.#device = device;
    this.#chip = chip;
  }

  read(register: number, into: Uint8Array): Uint8Array {
    this.#pointer[0] = register;
    try {
      this.#device.write(this.#pointer, false);
      this.#device.read(into);
    } catch (error) {
      throw SensorFault.fromBus(error, `${this.#chip}: reading register 0x${register.toString(16)}`);
    }
    return into;
  }

  readByte(register: number): number {
    return this.read(register, this.#one)[0];
  }

  write(register: number, value: number): void {
    this.#pair[0] = register;
    this.#pair[1] = value;
    try {
      this.#device.write(this.#pair, true);
    } catch (error) {
      throw SensorFault.fromBus(error, `${this.#chip}: writing register 0x${register.toString(16)}`);
    }
  }

  /** A one-byte command (MS5611 style: reset, start conversion). */
  command(code: number): void {
    this.#one[0] = code;
    try {
      this.#device.write(this.#one, true);
    } catch (error) {
      throw SensorFault.fromBus(error, `${this.#chip}: command 0x${code.toString(16)}`);
    }
  }

  close(): void {
    this.#device.close();
  }
}

/** Little-endian 16-bit values out of a calibration block. */
export const u16le = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8);
export const s16le = (b: Uint8Array, i: number) => (u16le(b, i) << 16) >> 16;
export const s8 = (b: Uint8Array, i: number) => (b[i] << 24) >> 24;

/** True when every byte is 0x00 or every byte is 0xFF: what a dead or floating bus returns. */
export function uniform(bytes: Uint8Array): 0x00 | 0xff | undefined {
  const first = bytes[0];
  if (first !== 0 && first !== 0xff) return undefined;
  for (let i = 1; i < bytes.length; i++) if (bytes[i] !== first) return undefined;
  return first as 0x00 | 0xff;
}
