// TE Connectivity MS5611-01BA03: command-driven, no chip id. Calibration is six 16-bit PROM words
// protected by a CRC-4 (application note AN520); compensation is the datasheet's integer first- and
// second-order algorithm with 64-bit intermediates (BigInt).
import { Registers, uniform, type Barometer, type BarometerOptions, type BarometerSample, type ChipName } from './barometer';
import { SensorFault } from './errors';

const CMD_RESET = 0x1e;
const CMD_ADC_READ = 0x00;
const CMD_PROM_READ = 0xa0; // + 2 · word
const CONVERT_D1 = 0x40; // pressure, + OSR code
const CONVERT_D2 = 0x50; // temperature, + OSR code

export type Ms5611Oversampling = 256 | 512 | 1024 | 2048 | 4096;
const OSR_CODE: Record<Ms5611Oversampling, number> = { 256: 0, 512: 2, 1024: 4, 2048: 6, 4096: 8 };
/** Maximum conversion time per OSR (datasheet: 0.60 / 1.17 / 2.28 / 4.54 / 9.04 ms), rounded up. */
const CONVERSION_MS: Record<Ms5611Oversampling, number> = { 256: 1, 512: 2, 1024: 3, 2048: 5, 4096: 10 };

/** CRC-4 of the eight PROM words (AN520); the result must equal the low nibble of word 7. */
export function ms5611Crc4(prom: ArrayLike<number>): number {
  let remainder = 0;
  for (let count = 0; count < 16; count++) {
    let word = prom[count >> 1];
    if (count >> 1 === 7) word &= 0xff00; // the CRC's own bits are excluded
    remainder ^= count % 2 === 1 ? word & 0x00ff : word >> 8;
    for (let bit = 8; bit > 0; bit--) {
      remainder = remainder & 0x8000 ? ((remainder << 1) ^ 0x3000) & 0xffff : (remainder << 1) & 0xffff;
    }
  }
  return (remainder >> 12) & 0x0f;
}

export interface Ms5611Result {
  /** 0.01 °C */
  centiC: number;
  /** Pa (the datasheet's unit 0.01 mbar) */
  pressurePa: number;
}

/** Datasheet first-order compensation plus the second-order correction below 20 °C. */
export function ms5611Compensate(d1: number, d2: number, c: ArrayLike<number>): Ms5611Result {
  const [C1, C2, C3, C4, C5, C6] = [c[1], c[2], c[3], c[4], c[5], c[6]].map(BigInt);
  const dT = BigInt(d2) - C5 * 256n;
  let temp = 2000n + (dT * C6) / 8388608n; // 2^23
  let off = C2 * 65536n + (C4 * dT) / 128n;
  let sens = C1 * 32768n + (C3 * dT) / 256n;
  if (temp < 2000n) {
    const t2 = (dT * dT) / 2147483648n; // 2^31
    const below20 = (temp - 2000n) * (temp - 2000n);
    let off2 = (5n * below20) / 2n;
    let sens2 = (5n * below20) / 4n;
    if (temp < -1500n) {
      const below15 = (temp + 1500n) * (temp + 1500n);
      off2 += 7n * below15;
      sens2 += (11n * below15) / 2n;
    }
    temp -= t2;
    off -= off2;
    sens -= sens2;
  }
  const p = ((BigInt(d1) * sens) / 2097152n - off) / 32768n; // (D1·SENS/2^21 − OFF)/2^15
  return { centiC: Number(temp), pressurePa: Number(p) };
}

export class Ms5611 implements Barometer {
  readonly chip: ChipName = 'MS5611';
  readonly address: number;
  readonly #registers: Registers;
  readonly #io: BarometerOptions['io'];
  readonly #oversampling: Ms5611Oversampling;
  readonly #prom = new Uint16Array(8);
  readonly #word = new Uint8Array(2);
  readonly #adc = new Uint8Array(3);
  readonly #sample: BarometerSample = { pressure: 0, temperature: 0 };

  constructor(options: BarometerOptions & { oversampling?: Ms5611Oversampling }) {
    this.address = options.address;
    this.#io = options.io;
    this.#oversampling = options.oversampling ?? 4096;
    this.#registers = new Registers(options.io.i2c(options.address), 'MS5611');
    this.reinitialize();
  }

  reinitialize(): void {
    this.#registers.command(CMD_RESET);
    this.#io.delayMs(3); // the PROM reloads in 2.8 ms
    const bytes = new Uint8Array(16);
    for (let word = 0; word < 8; word++) {
      this.#registers.read(CMD_PROM_READ + word * 2, this.#word);
      this.#prom[word] = (this.#word[0] << 8) | this.#word[1];
      bytes[word * 2] = this.#word[0];
      bytes[word * 2 + 1] = this.#word[1];
    }
    const flat = uniform(bytes);
    if (flat !== undefined) throw new SensorFault('BAD_CALIBRATION', `MS5611 PROM reads all 0x${flat.toString(16)}: no MS5611 here, or a dead bus`);
    const crc = ms5611Crc4(this.#prom);
    if (crc !== (this.#prom[7] & 0x0f)) {
      throw new SensorFault('BAD_CALIBRATION', `MS5611 PROM CRC-4 is 0x${crc.toString(16)}, the PROM says 0x${(this.#prom[7] & 0x0f).toString(16)}`);
    }
  }

  #convert(command: number): number {
    this.#registers.command(command + OSR_CODE[this.#oversampling]);
    this.#io.delayMs(CONVERSION_MS[this.#oversampling]);
    const adc = this.#registers.read(CMD_ADC_READ, this.#adc);
    return (adc[0] << 16) | (adc[1] << 8) | adc[2];
  }

  sample(): BarometerSample {
    const d1 = this.#convert(CONVERT_D1);
    const d2 = this.#convert(CONVERT_D2);
    // The ADC reads 0 when no conversion finished (e.g. the chip reset in between).
    if (d1 === 0 || d2 === 0) throw new SensorFault('NO_MEASUREMENT', 'MS5611 ADC read 0: the conversion did not complete (the chip may have reset)');
    if (d1 === 0xffffff || d2 === 0xffffff) throw new SensorFault('ALL_ONES', 'MS5611 returned all-ones (bus or chip failure)');
    const { centiC, pressurePa } = ms5611Compensate(d1, d2, this.#prom);
    // Operating range 10–1200 mbar, −40–85 °C (datasheet).
    if (!(pressurePa >= 1_000 && pressurePa <= 120_000) || centiC < -4000 || centiC > 8500) {
      throw new SensorFault('IMPOSSIBLE', `MS5611 computed ${pressurePa} Pa at ${(centiC / 100).toFixed(2)} °C, outside its range`);
    }
    this.#sample.pressure = pressurePa;
    this.#sample.temperature = centiC / 100;
    return this.#sample;
  }

  close(): void {
    this.#registers.close();
  }
}
