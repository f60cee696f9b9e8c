// Bosch BMP280 and BME280 (the BME280 is a BMP280 with a humidity sensor; same pressure and
// temperature registers and compensation, chip id 0x60 instead of 0x58). Compensation follows the
// datasheet's integer code exactly: 32-bit for temperature, 64-bit for pressure (BMP280 datasheet
// §3.11.3 and §8.2; BME280 datasheet §4.2.3). The 64-bit steps use BigInt.
import { Registers, s16le, u16le, uniform, type Barometer, type BarometerOptions, type BarometerSample, type ChipName } from './barometer';
import { SensorFault } from './errors';

export const BMP280_CHIP_ID = 0x58;
export const BME280_CHIP_ID = 0x60;

const REG_CALIBRATION = 0x88;
const REG_ID = 0xd0;
const REG_RESET = 0xe0;
const REG_STATUS = 0xf3; // status, ctrl_meas, config, (reserved), then six data bytes: one burst
const REG_CTRL_MEAS = 0xf4;
const REG_CONFIG = 0xf5;
const RESET_COMMAND = 0xb6;
const STATUS_MEASURING = 0x08;
/** The value a data register holds after reset or when its measurement is skipped. */
export const BOSCH_NO_MEASUREMENT = 0x80000;

export interface Bmp280Calibration {
  T1: number; T2: number; T3: number;
  P1: number; P2: number; P3: number; P4: number; P5: number; P6: number; P7: number; P8: number; P9: number;
}

export type Oversampling = 0 | 1 | 2 | 4 | 8 | 16;

export interface Bmp280Settings {
  pressureOversampling: Oversampling;
  temperatureOversampling: Oversampling;
  /** IIR filter coefficient: 0 (off), 2, 4, 8 or 16. */
  iirFilter: 0 | 2 | 4 | 8 | 16;
  /** 'normal' measures continuously; 'forced' measures once per sample() (the result of the previous trigger). */
  mode: 'normal' | 'forced';
  /** Standby between measurements in normal mode (ms): 0.5, 62.5, 125, 250, 500, 1000, 2000 or 4000. */
  standbyMs: number;
}

/** Ultra-high resolution with a light IIR filter (datasheet table 15 "handheld dynamic"-like), measured continuously. */
export const BMP280_DEFAULTS: Bmp280Settings = { pressureOversampling: 16, temperatureOversampling: 2, iirFilter: 4, mode: 'normal', standbyMs: 62.5 };

const OVERSAMPLING_CODE: Record<Oversampling, number> = { 0: 0, 1: 1, 2: 2, 4: 3, 8: 4, 16: 5 };
const FILTER_CODE: Record<number, number> = { 0: 0, 2: 1, 4: 2, 8: 3, 16: 4 };
const STANDBY_CODE: Record<number, number> = { 0.5: 0, 62.5: 1, 125: 2, 250: 3, 500: 4, 1000: 5, 2000: 6, 4000: 7 };

/** Temperature in 0.01 °C and t_fine, from the datasheet's 32-bit integer formula. */
export function bmp280Temperature(adcT: number, c: Bmp280Calibration): { centiC: number; tFine: number } {
  const var1 = ((((adcT >> 3) - (c.T1 << 1))) * c.T2) >> 11;
  const var2 = (((((adcT >> 4) - c.T1) * ((adcT >> 4) - c.T1)) >> 12) * c.T3) >> 14;
  const tFine = var1 + var2;
  return { centiC: (tFine * 5 + 128) >> 8, tFine };
}

/** Pressure in Pa as unsigned Q24.8 (divide by 256), from the datasheet's 64-bit integer formula. */
export function bmp280PressureQ24_8(adcP: number, tFine: number, c: Bmp280Calibration): number {
  let var1 = BigInt(tFine) - 128000n;
  let var2 = var1 * var1 * BigInt(c.P6);
  var2 = var2 + ((var1 * BigInt(c.P5)) << 17n);
  var2 = var2 + (BigInt(c.P4) << 35n);
  var1 = ((var1 * var1 * BigInt(c.P3)) >> 8n) + ((var1 * BigInt(c.P2)) << 12n);
  var1 = (((1n << 47n) + var1) * BigInt(c.P1)) >> 33n;
  if (var1 === 0n) return 0; // avoid a division by zero (datasheet)
  let p = 1048576n - BigInt(adcP);
  p = (((p << 31n) - var2) * 3125n) / var1;
  var1 = (BigInt(c.P9) * (p >> 13n) * (p >> 13n)) >> 25n;
  var2 = (BigInt(c.P8) * p) >> 19n;
  p = ((p + var1 + var2) >> 8n) + (BigInt(c.P7) << 4n);
  return Number(p);
}

export function parseBmp280Calibration(bytes: Uint8Array): Bmp280Calibration {
  return {
    T1: u16le(bytes, 0), T2: s16le(bytes, 2), T3: s16le(bytes, 4),
    P1: u16le(bytes, 6), P2: s16le(bytes, 8), P3: s16le(bytes, 10), P4: s16le(bytes, 12), P5: s16le(bytes, 14),
    P6: s16le(bytes, 16), P7: s16le(bytes, 18), P8: s16le(bytes, 20), P9: s16le(bytes, 22),
  };
}

export class Bmp280 implements Barometer {
  readonly chip: ChipName;
  readonly address: number;
  readonly #registers: Registers;
  readonly #io: BarometerOptions['io'];
  /** 0xF3–0xFC in one burst: status, ctrl_meas, config, reserved, press[3], temp[3]. */
  readonly #burst = new Uint8Array(10);
  /** Returned by every sample(): read it before the next call. */
  readonly #sample: BarometerSample = { pressure: 0, temperature: 0 };
  readonly #calibrationBytes = new Uint8Array(24);
  #calibration!: Bmp280Calibration;
  #settings: Bmp280Settings;
  #ctrlMeas = 0;

  constructor(options: BarometerOptions & { settings?: Partial<Bmp280Settings> }) {
    this.address = options.address;
    this.#io = options.io;
    this.#registers = new Registers(options.io.i2c(options.address), 'BMP280');
    this.#settings = { ...BMP280_DEFAULTS, ...options.settings };
    const id = this.#registers.readByte(REG_ID);
    if (id !== BMP280_CHIP_ID && id !== BME280_CHIP_ID) {
      this.#registers.close();
      throw new SensorFault('WRONG_CHIP', `no BMP280/BME280 at 0x${this.address.toString(16)}: chip id is 0x${id.toString(16)}, expected 0x58 or 0x60`);
    }
    this.chip = id === BMP280_CHIP_ID ? 'BMP280' : 'BME280';
    this.reinitialize();
  }

  /** Changes oversampling, filter, mode and standby; takes effect at once. */
  configure(settings: Partial<Bmp280Settings>): void {
    this.#settings = { ...this.#settings, ...settings };
    this.#writeSettings();
  }

  reinitialize(): void {
    this.#registers.write(REG_RESET, RESET_COMMAND);
    this.#io.delayMs(3); // start-up time after reset: 2 ms (datasheet table 2)
    this.#registers.read(REG_CALIBRATION, this.#calibrationBytes);
    const flat = uniform(this.#calibrationBytes);
    const calibration = parseBmp280Calibration(this.#calibrationBytes);
    if (flat !== undefined || calibration.T1 === 0 || calibration.P1 === 0) {
      throw new SensorFault('BAD_CALIBRATION', `${this.chip} calibration is invalid (${flat === undefined ? 'dig_T1 or dig_P1 is 0' : `all bytes 0x${flat.toString(16)}`})`);
    }
    this.#calibration = calibration;
    this.#writeSettings();
  }

  #writeSettings(): void {
    const s = this.#settings;
    const mode = s.mode === 'normal' ? 0b11 : 0b01;
    this.#ctrlMeas = (OVERSAMPLING_CODE[s.temperatureOversampling] << 5) | (OVERSAMPLING_CODE[s.pressureOversampling] << 2);
    // config may only be written in sleep mode (datasheet §5.4.6): sleep first, then config, then the mode.
    this.#registers.write(REG_CTRL_MEAS, this.#ctrlMeas);
    this.#registers.write(REG_CONFIG, ((STANDBY_CODE[s.standbyMs] ?? 1) << 5) | ((FILTER_CODE[s.iirFilter] ?? 0) << 2));
    this.#registers.write(REG_CTRL_MEAS, this.#ctrlMeas | mode);
  }

  sample(): BarometerSample {
    const burst = this.#registers.read(REG_STATUS, this.#burst);
    const flat = uniform(burst);
    if (flat === 0xff) throw new SensorFault('ALL_ONES', `${this.chip} returned all-ones (bus or chip failure)`);
    if (flat === 0x00) throw new SensorFault('ALL_ZEROS', `${this.chip} returned all-zeros (bus or chip failure)`);
    // The chip forgets ctrl_meas when it resets (brown-out): catch that before trusting its data.
    const ctrl = burst[1];
    const forced = this.#settings.mode === 'forced';
    if ((ctrl & 0xfc) !== this.#ctrlMeas || (!forced && (ctrl & 0x03) !== 0b11)) {
      throw new SensorFault('CHIP_RESET', `${this.chip} lost its configuration (ctrl_meas 0x${ctrl.toString(16)}): it has reset`);
    }
    if (forced) {
      if (burst[0] & STATUS_MEASURING) throw new SensorFault('NOT_READY', `${this.chip} is still measuring`);
      this.#registers.write(REG_CTRL_MEAS, this.#ctrlMeas | 0b01); // the next measurement, read at the next sample()
    }
    const adcP = (burst[4] << 12) | (burst[5] << 4) | (burst[6] >> 4);
    const adcT = (burst[7] << 12) | (burst[8] << 4) | (burst[9] >> 4);
    if (adcP === BOSCH_NO_MEASUREMENT || adcT === BOSCH_NO_MEASUREMENT) {
      throw new SensorFault('NO_MEASUREMENT', `${this.chip} has no measurement yet (raw value 0x80000)`);
    }
    const { centiC, tFine } = bmp280Temperature(adcT, this.#calibration);
    const pressure = bmp280PressureQ24_8(adcP, tFine, this.#calibration) / 256;
    // The chip measures 300–1100 hPa and −40–85 °C; anything else is not a reading (datasheet table 1).
    if (!(pressure >= 30_000 && pressure <= 110_000) || centiC < -4000 || centiC > 8500) {
      throw new SensorFault('IMPOSSIBLE', `${this.chip} computed ${pressure.toFixed(0)} Pa at ${(centiC / 100).toFixed(2)} °C, outside its range`);
    }
    this.#sample.pressure = pressure;
    this.#sample.temperature = centiC / 100;
    return this.#sample;
  }

  close(): void {
    try {
      this.#registers.write(REG_CTRL_MEAS, this.#ctrlMeas); // sleep
    } catch {
      // the chip may be gone; closing must still release the bus
    }
    this.#registers.close();
  }
}
