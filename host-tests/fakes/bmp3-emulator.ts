// A BMP388 / BMP390 at register level. Raw values come from inverting the datasheet's compensation
// by bisection over the 24-bit ADC range.
import type { Clock } from '../../src/ports';
import { bmp3Coefficients, bmp3Pressure, bmp3Temperature } from '../../src/sensor/bmp3xx';
import { invertMonotonic, RegisterChip, type Environment } from './i2c-bus';

/** Calibration words as read from a real part (NVM 0x31–0x45), in datasheet order. */
export const SAMPLE_BMP3_NVM = { T1: 27554, T2: 18979, T3: -7, P1: 1229, P2: 2766, P3: 33, P4: 1, P5: 25488, P6: 30464, P7: 3, P8: -7, P9: 15820, P10: 17, P11: -60 };

export function bmp3NvmBytes(n = SAMPLE_BMP3_NVM): Uint8Array {
  const bytes = new Uint8Array(21);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, n.T1, true);
  view.setUint16(2, n.T2, true);
  view.setInt8(4, n.T3);
  view.setInt16(5, n.P1, true);
  view.setInt16(7, n.P2, true);
  view.setInt8(9, n.P3);
  view.setInt8(10, n.P4);
  view.setUint16(11, n.P5, true);
  view.setUint16(13, n.P6, true);
  view.setInt8(15, n.P7);
  view.setInt8(16, n.P8);
  view.setInt16(17, n.P9, true);
  view.setInt8(19, n.P10);
  view.setInt8(20, n.P11);
  return bytes;
}

export class Bmp3Emulator extends RegisterChip {
  readonly chipId: number;
  readonly #clock: Clock;
  readonly #environment: Environment;
  readonly #nvm = bmp3NvmBytes();
  #conversionDoneAt = 0;

  constructor(options: { address?: number; chipId?: number; clock: Clock; environment: Environment }) {
    super(options.address ?? 0x77);
    this.chipId = options.chipId ?? 0x60;
    this.#clock = options.clock;
    this.#environment = options.environment;
    this.powerOn();
  }

  powerOn(): void {
    this.registers.fill(0);
    this.registers[0x00] = this.chipId;
    this.registers[0x03] = 0x10; // cmd_rdy
    this.registers.set(this.#nvm, 0x31);
  }

  protected registerWritten(register: number, value: number): void {
    if (register === 0x7e && value === 0xb6) this.powerOn();
    if (register === 0x1b && (value & 0x30) !== 0 && (value & 0x30) !== 0x30) this.#conversionDoneAt = this.#clock.now() + 5;
  }

  protected beforeRead(from: number, count: number): void {
    const now = this.#clock.now();
    const mode = this.registers[0x1b] & 0x30;
    const forced = mode === 0x10 || mode === 0x20;
    if (forced && now >= this.#conversionDoneAt) {
      this.#measure(this.#conversionDoneAt);
      this.registers[0x1b] &= 0x0f; // back to sleep
    }
    const readsData = from <= 0x09 && from + count > 0x04;
    if (mode === 0x30 && readsData) this.#measure(now);
  }

  #measure(atMs: number): void {
    if (this.stuck) return;
    const { pressurePa, temperatureC } = this.#environment(atMs);
    const c = bmp3Coefficients(this.#nvm);
    const rawT = invertMonotonic((raw) => bmp3Temperature(raw, c), temperatureC, 0xffffff);
    const tLin = bmp3Temperature(rawT, c);
    const rawP = invertMonotonic((raw) => bmp3Pressure(raw, tLin, c), pressurePa, 0xffffff);
    const r = this.registers;
    [r[0x04], r[0x05], r[0x06]] = [rawP & 0xff, (rawP >> 8) & 0xff, rawP >> 16];
    [r[0x07], r[0x08], r[0x09]] = [rawT & 0xff, (rawT >> 8) & 0xff, rawT >> 16];
    r[0x03] = 0x70; // cmd_rdy, drdy_press, drdy_temp
  }
}
