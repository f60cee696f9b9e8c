// Emulator of the Moddable SDK's `embedded:io/i2c` on ESP32: the synchronous class of
// modules/io/i2c/_i2c.js with modules/io/i2c/esp32/_i2c.c (ESP-IDF's i2c_master driver), talking to
// the register-level chip emulators attached to the device (Esp32Device.i2c).
//
// Contract kept (_i2c.js, esp32/_i2c.c):
// - constructor: data, clock and address are required (RangeError "data required" …); pins and
//   address go through builtinGetPin (undefined → Error "invalid", negative → RangeError "negative");
//   address over 127 → RangeError "invalid address"; a second open of the same data, clock and
//   address → RangeError "duplicate address"; pins another ECMA-419 object holds → RangeError
//   "inUse"; pins that cannot drive (input-only GPIO 34–39, absent 20, 24, 28–31) → RangeError
//   "unusable pins"; hz must be 1 … 20,000,000 (it is required: undefined reads as 0) → RangeError
//   "invalid hz"; timeout below -1 → "invalid timeout"; port not 0 or 1 → "invalid port".
// - read(count | buffer): the wrapper passes one argument, so there is no way to ask for no STOP;
//   a buffer is filled and its length returned, a count returns a new ArrayBuffer. write(buffer):
//   one argument as well: the second ("stop") never reaches the C code, and every i2c_master_transmit
//   ends with a STOP, so a register read is write-STOP-read, never a repeated start. A zero-length
//   write is a probe: it returns 1 when nobody acknowledges.
// - Any failure of the transfer, a NACK or a bus timeout alike, is Error "read failed" / "write
//   failed": the ESP32 driver does not tell them apart.
// - close(): any number of times; then read and write throw SyntaxError "C: xsGetHostData: invalid
//   host data".
import { currentDevice } from '../esp32-device';
import { bufferBytes, closedHostData, formatIsBuffer, has, toInteger, toPin } from '../xs-values';

/** SOC_GPIO_VALID_OUTPUT_GPIO_MASK of the ESP32 (ESP-IDF soc/esp32/include/soc/soc_caps.h). */
const OUTPUT_PINS = new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 23, 25, 26, 27, 32, 33]);
const I2C_NUM_MAX = 2;

interface I2cRecord {
  data: number;
  clock: number;
  address: number;
  hz: number;
  timeoutMs: number;
  /** The device and boot it was opened on: objects of another boot are gone with the RAM. */
  device: object;
  bootCount: number;
}

/** Objects opened, across boots; only those of the current boot count (the C list lives in RAM). */
const opened: I2cRecord[] = [];
const records = new WeakMap<I2C, I2cRecord | null>();

function required(options: object, name: string): unknown {
  if (!has(options, name)) throw new RangeError(`${name} required`);
  return (options as Record<string, unknown>)[name];
}

function transfer(record: I2cRecord, action: (chip: NonNullable<ReturnType<typeof chipAt>>) => void): boolean {
  const chip = chipAt(record);
  if (!chip) return false;
  try {
    action(chip);
    return true;
  } catch {
    return false; // the chip NACKed
  }
}

function chipAt(record: I2cRecord) {
  const device = currentDevice();
  if (record.device !== device || record.bootCount !== device.bootCount) throw new Error('emulator: this I2C object belongs to a boot before the last reset');
  if (device.i2cHung) return undefined;
  return device.i2c.get(record.address);
}

export default class I2C {
  constructor(options: unknown) {
    const o = options as object;
    if (o === undefined || o === null) throw new TypeError(`cannot coerce ${String(o)} to object`);
    const data = toPin(required(o, 'data'));
    const clock = toPin(required(o, 'clock'));
    required(o, 'address');
    const device = currentDevice();
    const open = opened.filter((r) => r.device === device && r.bootCount === device.bootCount);
    const usingPins = open.some((r) => r.data === data && r.clock === clock);
    if (!usingPins && (device.pinsInUse.has(data) || device.pinsInUse.has(clock))) throw new RangeError('inUse');
    const address = toPin((o as { address: unknown }).address);
    if (address > 127) throw new RangeError('invalid address');
    if (open.some((r) => r.data === data && r.clock === clock && r.address === address)) throw new RangeError('duplicate address');
    if (!OUTPUT_PINS.has(clock) || !OUTPUT_PINS.has(data)) throw new RangeError('unusable pins');
    const hz = toInteger((o as { hz?: unknown }).hz);
    if (hz <= 0 || hz > 20_000_000) throw new RangeError('invalid hz');
    let timeoutMs = 400;
    if (has(o, 'timeout')) {
      timeoutMs = toInteger((o as { timeout: unknown }).timeout);
      if (timeoutMs < -1) throw new RangeError('invalid timeout');
    }
    if (has(o, 'port')) {
      const port = toInteger((o as { port: unknown }).port);
      if (port < 0 || port >= I2C_NUM_MAX) throw new RangeError('invalid port');
    }
    if (!formatIsBuffer(o)) throw new RangeError('invalid format');
    const record: I2cRecord = { data, clock, address, hz, timeoutMs, device, bootCount: device.bootCount };
    opened.push(record);
    records.set(this, record);
    device.pinsInUse.add(data);
    device.pinsInUse.add(clock);
  }

  close(): void {
    const record = records.get(this);
    if (!record) return;
    opened.splice(opened.indexOf(record), 1);
    records.set(this, null);
    if (!opened.some((r) => r.device === record.device && r.bootCount === record.bootCount && r.data === record.data && r.clock === record.clock)) {
      currentDevice().pinsInUse.delete(record.data);
      currentDevice().pinsInUse.delete(record.clock);
    }
  }

  read(count: unknown): ArrayBuffer | number {
    const record = this.#record();
    const intoBuffer = typeof count === 'object' && count !== null;
    const bytes = intoBuffer ? bufferBytes(count) : new Uint8Array(toInteger(count));
    if (!transfer(record, (chip) => chip.onRead(bytes))) throw new Error('read failed');
    return intoBuffer ? bytes.length : (bytes.buffer as ArrayBuffer);
  }

  write(buffer: unknown): number | undefined {
    const record = this.#record();
    const bytes = bufferBytes(buffer).slice();
    if (bytes.length === 0) return transfer(record, () => {}) ? undefined : 1; // i2c_master_probe
    if (!transfer(record, (chip) => chip.onWrite(bytes, true))) throw new Error('write failed');
    return undefined;
  }

  /** The experimental write-then-read with a repeated start (i2c_master_transmit_receive). */
  writeRead(buffer: unknown, count: unknown): ArrayBuffer | number {
    const record = this.#record();
    const intoBuffer = typeof count === 'object' && count !== null;
    const readBytes = intoBuffer ? bufferBytes(count) : new Uint8Array(toInteger(count));
    const written = bufferBytes(buffer).slice();
    if (!transfer(record, (chip) => (chip.onWrite(written, false), chip.onRead(readBytes)))) throw new Error('writeRead failed');
    return intoBuffer ? readBytes.length : (readBytes.buffer as ArrayBuffer);
  }

  get format(): string {
    return 'buffer';
  }
  set format(value: unknown) {
    if ('buffer' != value) throw new RangeError();
  }

  #record(): I2cRecord {
    const record = records.get(this);
    if (!record) throw closedHostData();
    return record;
  }
}

