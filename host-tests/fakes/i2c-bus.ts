// A fake I2C bus that register-level chip emulators attach to, with faults a real bus has: a
// missing chip NACKs its address, a hung bus times out. Core-compatible: runs on XS too.
import type { I2cDevice, I2cOpener } from '../../src/ports';

export class I2cBusError extends Error {
  readonly code: 'NACK' | 'TIMEOUT';
  constructor(code: 'NACK' | 'TIMEOUT', message: string) {
    super(message);
    this.code = code;
  }
}

/** A chip on the bus: it sees each write and fills each read, like the silicon would. */
export interface I2cPeripheral {
  readonly address: number;
  /** Throw I2cBusError('NACK') to refuse. */
  onWrite(bytes: Uint8Array, stop: boolean): void;
  onRead(buffer: Uint8Array): void;
}

export class FakeI2cBus {
  readonly #peripherals = new Map<number, I2cPeripheral>();
  /** A chip holds SDA low: every transfer times out until released. */
  hung = false;

  attach(peripheral: I2cPeripheral): this {
    this.#peripherals.set(peripheral.address, peripheral);
    return this;
  }

  readonly open: I2cOpener = (address: number): I2cDevice => {
    const transfer = (): I2cPeripheral => {
      if (this.hung) throw new I2cBusError('TIMEOUT', 'I2C bus timeout: SDA held low');
      const peripheral = this.#peripherals.get(address);
      if (!peripheral) throw new I2cBusError('NACK', `no acknowledge from 0x${address.toString(16)}`);
      return peripheral;
    };
    return {
      read: (buffer) => transfer().onRead(buffer),
      write: (bytes, stop = true) => transfer().onWrite(bytes, stop),
      close: () => {},
    };
  };
}

/**
 * The register file shared by the Bosch chips: a write sets the register pointer and writes any
 * further bytes from there; a read returns bytes from the pointer, auto-incrementing. Faults apply
 * to every chip built on it.
 */
export abstract class RegisterChip implements I2cPeripheral {
  readonly address: number;
  readonly registers = new Uint8Array(256);
  #pointer = 0;
  /** Refuses every transfer (brown-out, loose wire). */
  nack = false;
  /** Every byte read comes back as this (a floating or shorted bus). */
  readsAs: 0x00 | 0xff | undefined;
  /** The data registers stop updating. */
  stuck = false;

  constructor(address: number) {
    this.address = address;
  }

  onWrite(bytes: Uint8Array, _stop: boolean): void {
    if (this.nack) throw new I2cBusError('NACK', `0x${this.address.toString(16)} did not acknowledge`);
    this.#pointer = bytes[0];
    for (let i = 1; i < bytes.length; i++) {
      const register = (this.#pointer + i - 1) & 0xff;
      this.registers[register] = bytes[i];
      this.registerWritten(register, bytes[i]);
    }
  }

  onRead(buffer: Uint8Array): void {
    if (this.nack) throw new I2cBusError('NACK', `0x${this.address.toString(16)} did not acknowledge`);
    this.beforeRead(this.#pointer, buffer.length);
    for (let i = 0; i < buffer.length; i++) buffer[i] = this.readsAs ?? this.registers[(this.#pointer + i) & 0xff];
    this.#pointer = (this.#pointer + buffer.length) & 0xff;
  }

  /** A register was written (side effects: reset, start a conversion …). */
  protected abstract registerWritten(register: number, value: number): void;
  /** Registers [from, from + count) are about to be read (refresh data registers …). */
  protected abstract beforeRead(from: number, count: number): void;
}

/** The air around the sensor at a given time. */
export type Environment = (nowMs: number) => { pressurePa: number; temperatureC: number };

/** Smallest raw value in [0, max] at which `f` (monotonic) crosses `target`: inverts a compensation. */
export function invertMonotonic(f: (raw: number) => number, target: number, max: number): number {
  const increasing = f(max) > f(0);
  let low = 0;
  let high = max;
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if (increasing ? f(mid) < target : f(mid) > target) low = mid + 1;
    else high = mid;
  }
  // Pick whichever neighbour lands closer to the target.
  return low > 0 && Math.abs(f(low - 1) - target) < Math.abs(f(low) - target) ? low - 1 : low;
}
