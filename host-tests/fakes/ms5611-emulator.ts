// An MS5611 at command level: reset, PROM reads, D1/D2 conversions that take real (virtual) time,
// and the 24-bit ADC read, which returns 0 when no conversion has finished.
import type { Clock } from '../../src/ports';
import { ms5611Compensate, ms5611Crc4 } from '../../src/sensor/ms5611';
import { I2cBusError, invertMonotonic, type Environment, type I2cPeripheral } from './i2c-bus';

/** The datasheet's example coefficients C1–C6. */
export const DATASHEET_MS5611_COEFFICIENTS = [40127, 36924, 23317, 23282, 33464, 28312];

export function ms5611Prom(coefficients = DATASHEET_MS5611_COEFFICIENTS): number[] {
  const prom = [0x0000, ...coefficients, 0x0000];
  prom[7] = ms5611Crc4(prom); // serial bits 0, CRC in the low nibble
  return prom;
}

export class Ms5611Emulator implements I2cPeripheral {
  readonly address: number;
  readonly prom: number[];
  readonly #clock: Clock;
  readonly #environment: Environment;
  #output = new Uint8Array(0);
  #conversion: { kind: 'D1' | 'D2'; doneAt: number } | undefined;
  #adc = 0;
  #last = { D1: 0, D2: 0 };
  nack = false;
  stuck = false;
  /** The next ADC read returns 0, as after a reset in the middle of a conversion. */
  dropConversion = false;

  constructor(options: { address?: number; clock: Clock; environment: Environment; prom?: number[] }) {
    this.address = options.address ?? 0x77;
    this.#clock = options.clock;
    this.#environment = options.environment;
    this.prom = options.prom ?? ms5611Prom();
  }

  onWrite(bytes: Uint8Array): void {
    if (this.nack) throw new I2cBusError('NACK', 'MS5611 did not acknowledge');
    const command = bytes[0];
    if (command === 0x1e) {
      this.#conversion = undefined;
      this.#adc = 0;
    } else if (command >= 0xa0 && command <= 0xae) {
      const word = this.prom[(command - 0xa0) >> 1];
      this.#output = new Uint8Array([word >> 8, word & 0xff]);
    } else if (command === 0x00) {
      this.#finishConversion();
      const value = this.dropConversion ? 0 : this.#adc;
      this.dropConversion = false;
      this.#adc = 0; // read once
      this.#output = new Uint8Array([value >> 16, (value >> 8) & 0xff, value & 0xff]);
    } else if ((command & 0xf0) === 0x40 || (command & 0xf0) === 0x50) {
      const osr = 256 << ((command & 0x0f) >> 1);
      this.#conversion = { kind: (command & 0xf0) === 0x40 ? 'D1' : 'D2', doneAt: this.#clock.now() + (osr / 4096) * 9.04 };
    }
  }

  onRead(buffer: Uint8Array): void {
    if (this.nack) throw new I2cBusError('NACK', 'MS5611 did not acknowledge');
    for (let i = 0; i < buffer.length; i++) buffer[i] = this.#output[i] ?? 0;
  }

  #finishConversion(): void {
    const conversion = this.#conversion;
    if (!conversion || this.#clock.now() < conversion.doneAt) return;
    this.#conversion = undefined;
    if (!this.stuck || this.#last[conversion.kind] === 0) {
      const { pressurePa, temperatureC } = this.#environment(conversion.doneAt);
      const d2 = invertMonotonic((raw) => ms5611Compensate(8_000_000, raw, this.prom).centiC, temperatureC * 100, 0xffffff);
      this.#last.D2 = d2;
      this.#last.D1 = invertMonotonic((raw) => ms5611Compensate(raw, d2, this.prom).pressurePa, pressurePa, 0xffffff);
    }
    this.#adc = this.#last[conversion.kind];
  }
}
