// Bosch BMP388 and BMP390 (chip id 0x50 and 0x60 at register 0x00). The datasheet gives the
// compensation in floating point only (BMP388 datasheet §9.2–9.3: calibration words scaled to
// par_* coefficients, then polynomial in t_lin and the raw pressure); that is what we implement.
import { Registers, s16le, s8, u16le, uniform, type Barometer, type BarometerOptions, type BarometerSample, type ChipName } from './barometer';
import { SensorFault } from './errors';

export const BMP388_CHIP_ID = 0x50;
export const BMP390_CHIP_ID = 0x60;

const REG_CHIP_ID = 0x00;
const REG_ERR = 0x02; // err, status, data[6]: 0x02–0x09 in one burst
const REG_PWR_CTRL = 0x1b;
const REG_OSR = 0x1c;
const REG_ODR = 0x1d;
const REG_CONFIG = 0x1f;
const REG_CALIBRATION = 0x31;
const REG_CMD = 0x7e;
const SOFT_RESET = 0xb6;
const PRESS_EN = 0x01;
const TEMP_EN = 0x02;
const MODE_NORMAL = 0x30;
const MODE_FORCED = 0x10;

/** The calibration coefficients as floating point numbers (datasheet §9.1). */
export interface Bmp3Coefficients {
  t1: number; t2: number; t3: number;
  p1: number; p2: number; p3: number; p4: number; p5: number; p6: number; p7: number; p8: number; p9: number; p10: number; p11: number;
}

/** Scales the 21 NVM calibration bytes at 0x31–0x45 into the datasheet's par_* coefficients. */
export function bmp3Coefficients(nvm: Uint8Array): Bmp3Coefficients {
  return {
    t1: u16le(nvm, 0) / 2 ** -8,
    t2: u16le(nvm, 2) / 2 ** 30,
    t3: s8(nvm, 4) / 2 ** 48,
    p1: (s16le(nvm, 5) - 2 ** 14) / 2 ** 20,
    p2: (s16le(nvm, 7) - 2 ** 14) / 2 ** 29,
    p3: s8(nvm, 9) / 2 ** 32,
    p4: s8(nvm, 10) / 2 ** 37,
    p5: u16le(nvm, 11) / 2 ** -3,
    p6: u16le(nvm, 13) / 2 ** 6,
    p7: s8(nvm, 15) / 2 ** 8,
    p8: s8(nvm, 16) / 2 ** 15,
    p9: s16le(nvm, 17) / 2 ** 48,
    p10: s8(nvm, 19) / 2 ** 48,
    p11: s8(nvm, 20) / 2 ** 65,
  };
}

/** t_lin (°C) from the raw temperature (datasheet §9.2). */
export function bmp3Temperature(uncompensated: number, c: Bmp3Coefficients): number {
  const partial1 = uncompensated - c.t1;
  const partial2 = partial1 * c.t2;
  return partial2 + partial1 * partial1 * c.t3;
}

/** Pressure (Pa) from the raw pressure and t_lin (datasheet §9.3). */
export function bmp3Pressure(uncompensated: number, tLin: number, c: Bmp3Coefficients): number {
  const t2 = tLin * tLin;
  const t3 = t2 * tLin;
  const out1 = c.p5 + c.p6 * tLin + c.p7 * t2 + c.p8 * t3;
  const out2 = uncompensated * (c.p1 + c.p2 * tLin + c.p3 * t2 + c.p4 * t3);
  const u2 = uncompensated * uncompensated;
  const out3 = u2 * (c.p9 + c.p10 * tLin) + u2 * uncompensated * c.p11;
  return out1 + out2 + out3;
}

export interface Bmp3Settings {
  /** ×1 … ×32 */
  pressureOversampling: 1 | 2 | 4 | 8 | 16 | 32;
  temperatureOversampling: 1 | 2 | 4 | 8 | 16 | 32;
  /** IIR filter coefficient 0 (off), 1, 3, 7, 15, 31, 63, 127. */
  iirFilter: 0 | 1 | 3 | 7 | 15 | 31 | 63 | 127;
  mode: 'normal' | 'forced';
  /** Output data rate prescaler in normal mode: period = 5 ms · 2^odr (0–17). */
  odr: number;
}

/** ×8 pressure, ×1 temperature, IIR 3, 50 Hz → well inside the ×8 conversion time (datasheet "drone" preset). */
export const BMP3_DEFAULTS: Bmp3Settings = { pressureOversampling: 8, temperatureOversampling: 1, iirFilter: 3, mode: 'normal', odr: 2 };

const log2 = (n: number) => Math.round(Math.log2(n));

export class Bmp3xx implements Barometer {
  readonly chip: ChipName;
  readonly address: number;
  readonly #registers: Registers;
  readonly #io: BarometerOptions['io'];
  readonly #nvm = new Uint8Array(21);
  readonly #burst = new Uint8Array(8);
  readonly #sample: BarometerSample = { pressure: 0, temperature: 0 };
  #coefficients!: Bmp3Coefficients;
  #settings: Bmp3Settings;
  #pwrCtrl = 0;

  constructor(options: BarometerOptions & { settings?: Partial<Bmp3Settings> }) {
    this.address = options.address;
    this.#io = options.io;
    this.#registers = new Registers(options.io.i2c(options.address), 'BMP3xx');
    this.#settings = { ...BMP3_DEFAULTS, ...options.settings };
    const id = this.#registers.readByte(REG_CHIP_ID);
    if (id !== BMP388_CHIP_ID && id !== BMP390_CHIP_ID) {
      this.#registers.close();
      throw new SensorFault('WRONG_CHIP', `no BMP388/BMP390 at 0x${this.address.toString(16)}: chip id is 0x${id.toString(16)}, expected 0x50 or 0x60`);
    }
    this.chip = id === BMP388_CHIP_ID ? 'BMP388' : 'BMP390';
    this.reinitialize();
  }

  configure(settings: Partial<Bmp3Settings>): void {
    this.#settings = { ...this.#settings, ...settings };
    this.#writeSettings();
  }

  reinitialize(): void {
    this.#registers.write(REG_CMD, SOFT_RESET);
    this.#io.delayMs(3); // start-up time 2 ms (datasheet table 2)
    this.#registers.read(REG_CALIBRATION, this.#nvm);
    const flat = uniform(this.#nvm);
    if (flat !== undefined || u16le(this.#nvm, 0) === 0) {
      throw new SensorFault('BAD_CALIBRATION', `${this.chip} calibration is invalid (${flat === undefined ? 'NVM_PAR_T1 is 0' : `all bytes 0x${flat.toString(16)}`})`);
    }
    this.#coefficients = bmp3Coefficients(this.#nvm);
    this.#writeSettings();
  }

  #writeSettings(): void {
    const s = this.#settings;
    this.#registers.write(REG_PWR_CTRL, 0); // sleep while configuring
    this.#registers.write(REG_OSR, (log2(s.temperatureOversampling) << 3) | log2(s.pressureOversampling));
    this.#registers.write(REG_ODR, s.odr);
    this.#registers.write(REG_CONFIG, log2(s.iirFilter + 1) << 1);
    this.#pwrCtrl = PRESS_EN | TEMP_EN | (s.mode === 'normal' ? MODE_NORMAL : MODE_FORCED);
    this.#registers.write(REG_PWR_CTRL, this.#pwrCtrl);
  }

  sample(): BarometerSample {
    const registers = this.#registers;
    const pwr = registers.readByte(REG_PWR_CTRL);
    const forced = this.#settings.mode === 'forced';
    const burst = registers.read(REG_ERR, this.#burst); // err_reg, status, press[3], temp[3]
    const flat = uniform(burst);
    if (flat === 0xff) throw new SensorFault('ALL_ONES', `${this.chip} returned all-ones (bus or chip failure)`);
    if (flat === 0x00) throw new SensorFault('ALL_ZEROS', `${this.chip} returned all-zeros (bus or chip failure)`);
    // A reset clears pwr_ctrl (sensors off, sleep). In forced mode the chip drops back to sleep by itself.
    if ((pwr & 0x03) !== (PRESS_EN | TEMP_EN) || (!forced && (pwr & 0x30) !== MODE_NORMAL)) {
      throw new SensorFault('CHIP_RESET', `${this.chip} lost its configuration (pwr_ctrl 0x${pwr.toString(16)}): it has reset`);
    }
    if (burst[0] & 0x07) throw new SensorFault('CHIP_RESET', `${this.chip} reports an error (err_reg 0x${burst[0].toString(16)})`);
    const ready = (burst[1] & 0x60) === 0x60; // drdy_press and drdy_temp
    if (forced) registers.write(REG_PWR_CTRL, this.#pwrCtrl); // the next conversion, read at the next sample()
    const rawP = burst[2] | (burst[3] << 8) | (burst[4] << 16);
    const rawT = burst[5] | (burst[6] << 8) | (burst[7] << 16);
    if (rawP === 0 || rawT === 0 || (!ready && forced)) {
      throw new SensorFault(ready ? 'NO_MEASUREMENT' : 'NOT_READY', `${this.chip} has no completed measurement yet`);
    }
    if (rawP === 0xffffff || rawT === 0xffffff) throw new SensorFault('ALL_ONES', `${this.chip} returned all-ones data`);
    const temperature = bmp3Temperature(rawT, this.#coefficients);
    const pressure = bmp3Pressure(rawP, temperature, this.#coefficients);
    // Operating range 300–1250 hPa, −40–85 °C (datasheet table 1).
    if (!(pressure >= 30_000 && pressure <= 125_000) || !(temperature >= -40 && temperature <= 85)) {
      throw new SensorFault('IMPOSSIBLE', `${this.chip} computed ${pressure.toFixed(0)} Pa at ${temperature.toFixed(2)} °C, outside its range`);
    }
    this.#sample.pressure = pressure;
    this.#sample.temperature = temperature;
    return this.#sample;
  }

  close(): void {
    try {
      this.#registers.write(REG_PWR_CTRL, 0);
    } catch {
      // the chip may be gone; closing must still release the bus
    }
    this.#registers.close();
  }
}
