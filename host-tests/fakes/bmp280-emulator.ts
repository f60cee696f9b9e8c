// A BMP280 / BME280 at register level. The raw ADC values it reports are found by inverting the
// datasheet's floating-point compensation (§8.1): an implementation independent of the driver's
// integer path, so agreement between the two is a real check.
import type { Clock } from '../../src/ports';
import type { Bmp280Calibration } from '../../src/sensor/bmp280';
import { invertMonotonic, RegisterChip, type Environment } from './i2c-bus';

/** The datasheet's worked example calibration (BMP280 datasheet §3.12). */
export const DATASHEET_BMP280_CALIBRATION: Bmp280Calibration = {
  T1: 27504, T2: 26435, T3: -1000,
  P1: 36477, P2: -10685, P3: 3024, P4: 2855, P5: 140, P6: -7, P7: 15500, P8: -14600, P9: 6000,
};

export function temperatureDouble(adcT: number, c: Bmp280Calibration): { celsius: number; tFine: number } {
  const var1 = (adcT / 16384 - c.T1 / 1024) * c.T2;
  const var2 = (adcT / 131072 - c.T1 / 8192) * (adcT / 131072 - c.T1 / 8192) * c.T3;
  return { celsius: (var1 + var2) / 5120, tFine: var1 + var2 };
}

export function pressureDouble(adcP: number, tFine: number, c: Bmp280Calibration): number {
  let var1 = tFine / 2 - 64000;
  let var2 = (var1 * var1 * c.P6) / 32768;
  var2 = var2 + var1 * c.P5 * 2;
  var2 = var2 / 4 + c.P4 * 65536;
  var1 = ((c.P3 * var1 * var1) / 524288 + c.P2 * var1) / 524288;
  var1 = (1 + var1 / 32768) * c.P1;
  let p = 1048576 - adcP;
  p = ((p - var2 / 4096) * 6250) / var1;
  var1 = (c.P9 * p * p) / 2147483648;
  var2 = (p * c.P8) / 32768;
  return p + (var1 + var2 + c.P7) / 16;
}

function calibrationBytes(c: Bmp280Calibration): Uint8Array {
  const bytes = new Uint8Array(24);
  const view = new DataView(bytes.buffer);
  [c.T1, c.T2, c.T3, c.P1, c.P2, c.P3, c.P4, c.P5, c.P6, c.P7, c.P8, c.P9].forEach((value, i) => {
    if (i === 0 || i === 3) view.setUint16(i * 2, value, true);
    else view.setInt16(i * 2, value, true);
  });
  return bytes;
}

export class Bmp280Emulator extends RegisterChip {
  readonly calibration: Bmp280Calibration;
  readonly chipId: number;
  readonly #clock: Clock;
  readonly #environment: Environment;
  #conversionDoneAt = 0;
  /** Raw values of the last conversion (what a test can check against). */
  lastRaw = { adcP: 0x80000, adcT: 0x80000 };
  /** Calibration reads as all zeros or all ones (a failing NVM or bus during init). */
  calibrationFault: 0x00 | 0xff | undefined;
  /** Set the next raw pressure to this value once (a spike). */
  spikeRawPressure: number | undefined;

  constructor(options: { address?: number; chipId?: number; clock: Clock; environment: Environment; calibration?: Bmp280Calibration }) {
    super(options.address ?? 0x76);
    this.chipId = options.chipId ?? 0x58;
    this.#clock = options.clock;
    this.#environment = options.environment;
    this.calibration = options.calibration ?? DATASHEET_BMP280_CALIBRATION;
    this.powerOn();
  }

  /** Power-on reset: the state after a brown-out. Calibration (NVM) survives. */
  powerOn(): void {
    this.registers.fill(0);
    this.registers.set(calibrationBytes(this.calibration), 0x88);
    this.registers[0xd0] = this.chipId;
    this.#writeRaw(0x80000, 0x80000);
  }

  protected registerWritten(register: number, value: number): void {
    if (register === 0xe0 && value === 0xb6) this.powerOn();
    if (register === 0xf4 && (value & 0x03) !== 0) this.#startConversion(value);
  }

  protected beforeRead(from: number, count: number): void {
    if (this.calibrationFault !== undefined) this.registers.fill(this.calibrationFault, 0x88, 0x88 + 24);
    else this.registers.set(calibrationBytes(this.calibration), 0x88);
    const now = this.#clock.now();
    let mode = this.registers[0xf4] & 0x03;
    if ((mode === 0b01 || mode === 0b10) && now >= this.#conversionDoneAt) {
      // A forced conversion finished: its result lands in the data registers and the chip sleeps.
      this.#measure(this.#conversionDoneAt);
      this.registers[0xf4] &= 0xfc;
      mode = 0;
    }
    this.registers[0xf3] = mode === 0b01 || mode === 0b10 ? 0x08 : 0;
    const readsData = from <= 0xfc && from + count > 0xf7;
    if (mode === 0b11 && readsData) this.#measure(now);
  }

  /** Freezes the data registers at these raw values (e.g. 0x80000, "no measurement"). */
  forceRaw(adcP: number, adcT: number): void {
    this.#writeRaw(adcP, adcT);
    this.stuck = true;
  }

  #startConversion(ctrlMeas: number): void {
    const samples = (code: number) => (code === 0 ? 0 : 1 << (code - 1));
    const osrsT = samples((ctrlMeas >> 5) & 7);
    const osrsP = samples((ctrlMeas >> 2) & 7);
    // Typical measurement time (datasheet §9.1): 1.25 + 2.3·osrs_t + (2.3·osrs_p + 0.575) ms.
    const durationMs = 1.25 + 2.3 * osrsT + (osrsP ? 2.3 * osrsP + 0.575 : 0);
    this.#conversionDoneAt = this.#clock.now() + durationMs;
  }

  #measure(atMs: number): void {
    if (this.stuck) return;
    const { pressurePa, temperatureC } = this.#environment(atMs);
    const c = this.calibration;
    const adcT = invertMonotonic((raw) => temperatureDouble(raw, c).celsius, temperatureC, 0xfffff);
    const { tFine } = temperatureDouble(adcT, c);
    let adcP = invertMonotonic((raw) => pressureDouble(raw, tFine, c), pressurePa, 0xfffff);
    if (this.spikeRawPressure !== undefined) {
      adcP = this.spikeRawPressure;
      this.spikeRawPressure = undefined;
    }
    this.#writeRaw(adcP, adcT);
  }

  #writeRaw(adcP: number, adcT: number): void {
    this.lastRaw = { adcP, adcT };
    const r = this.registers;
    r[0xf7] = adcP >> 12;
    r[0xf8] = (adcP >> 4) & 0xff;
    r[0xf9] = (adcP & 0x0f) << 4;
    r[0xfa] = adcT >> 12;
    r[0xfb] = (adcT >> 4) & 0xff;
    r[0xfc] = (adcT & 0x0f) << 4;
  }
}
