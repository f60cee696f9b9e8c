// One emulated ESP32 board for the Moddable module emulators in sdk/: its flash (partitions, OTA
// slots, otadata, NVS), the chips on its I2C bus, the pins in use, time, the image server it can
// reach, and its resets. A test installs one with installDevice(); the emulated modules
// (embedded:update, preference, embedded:io/i2c, mc/ffi, timer, …) act on it, so the firmware's
// own adapter files run unchanged against it.
//
// A reset (esp_restart, a rollback, a power cycle) runs the emulated bootloader and starts a new
// "boot": handles the old firmware instance held (an OTA handle, an I2C device) are gone, as RAM
// is after a reset. The test then builds the firmware's objects again, as the device would.
import type { I2cPeripheral } from '../i2c-bus';
import { FakeImageServer } from '../fake-http';
import { VirtualClock } from '../virtual-clock';
import { makeEspImage } from './esp-image';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EspFlash, parsePartitionTable, PowerLoss, type FlashPartition } from './esp-flash';

/** The board's partition table: the emulated flash has the partitions the device is flashed with. */
export const BOARD_PARTITIONS_CSV = path.resolve(import.meta.dirname, '../../../boards/esp32/partitions.csv');
import { EspIdfOta } from './esp-idf-ota';
import { NvsStorage } from './esp-nvs';

/** esp_reset_reason_t (ESP-IDF components/esp_system/include/esp_system.h). */
export enum ResetReason {
  UNKNOWN = 0,
  POWERON = 1,
  EXT = 2,
  SW = 3,
  PANIC = 4,
  INT_WDT = 5,
  TASK_WDT = 6,
  WDT = 7,
  DEEPSLEEP = 8,
  BROWNOUT = 9,
  SDIO = 10,
}

export interface DeviceOptions {
  /** Version of the image flashed into ota_0 at the factory. */
  firmwareVersion?: string;
  clock?: VirtualClock;
  /** The partition table the board was flashed with (CSV); default boards/esp32/partitions.csv. */
  partitionTable?: string;
}

export class Esp32Device {
  readonly clock: VirtualClock;
  readonly flash: EspFlash;
  /** What the firmware traced (the global trace() of the Moddable runtime). */
  readonly traces: string[] = [];
  readonly ota: EspIdfOta;
  readonly nvs: NvsStorage;
  /** Chips on the I2C bus, by 7-bit address. */
  readonly i2c = new Map<number, I2cPeripheral>();
  /** The bus is held low: every transfer fails (the ESP-IDF driver times out). */
  i2cHung = false;
  /** GPIOs claimed by ECMA-419 objects (builtinUsePin). */
  readonly pinsInUse = new Set<number>();
  /** Where http:// image URLs lead. */
  readonly imageServer: FakeImageServer;
  resetReason = ResetReason.POWERON;
  /** Incremented at every reset: objects of an earlier boot are stale. */
  bootCount = 0;
  /** Resets requested by the firmware (esp_restart) that the test has not yet carried out. */
  restartRequested = false;

  constructor(options: DeviceOptions = {}) {
    this.clock = options.clock ?? new VirtualClock();
    this.flash = new EspFlash(parsePartitionTable(options.partitionTable ?? readFileSync(BOARD_PARTITIONS_CSV, 'utf8')));
    this.ota = new EspIdfOta(this.flash);
    this.ota.onRestart = () => this.requestRestart();
    this.nvs = new NvsStorage(this.flash.find('nvs')!.size, () => {
      if (this.flash.beginOperation(true)) throw new PowerLoss('power lost while writing NVS');
    });
    this.imageServer = new FakeImageServer(this.clock);
    const factory = makeEspImage(options.firmwareVersion ?? '1.0.0');
    const slot0 = this.flash.otaApps[0];
    slot0.bytes.set(factory);
    this.boot(ResetReason.POWERON);
  }

  /** esp_restart(): the firmware asks for a reset; the test performs it with reboot(). */
  requestRestart(): void {
    this.restartRequested = true;
  }

  /**
   * Runs the firmware for `ms` of device time. A power loss ends the run where it struck: the
   * firmware stops there (JavaScript unwinding through catch blocks can no longer write anything,
   * since every flash and NVS write fails once the power is gone).
   */
  run(ms: number): void {
    try {
      this.clock.advance(ms);
    } catch (error) {
      if (!(error instanceof PowerLoss)) throw error;
    }
  }

  /** A reset: the bootloader picks the image, RAM state (timers, open handles) is gone. */
  boot(reason: ResetReason): FlashPartition {
    this.clock.clearAll();
    this.bootCount++;
    this.resetReason = reason;
    this.restartRequested = false;
    this.flash.powerOn();
    this.pinsInUse.clear();
    return this.ota.boot();
  }

  /** Carries out a restart the firmware asked for (ESP_RST_SW). */
  reboot(): FlashPartition {
    return this.boot(ResetReason.SW);
  }

  /** Power comes back after a loss. */
  powerCycle(): FlashPartition {
    return this.boot(ResetReason.POWERON);
  }

  /** The version in the app descriptor of the image that runs now. */
  get runningVersion(): string {
    const partition = this.ota.running;
    const desc = partition.bytes.subarray(24 + 8 + 16, 24 + 8 + 48);
    const end = desc.indexOf(0);
    return String.fromCharCode(...desc.subarray(0, end < 0 ? 32 : end));
  }
}

let current: Esp32Device | undefined;

/** Makes `device` the board the emulated modules act on. */
export function installDevice(device: Esp32Device): Esp32Device {
  current = device;
  (globalThis as { trace?: (text: string) => void }).trace = (text) => device.traces.push(String(text));
  return device;
}

export function currentDevice(): Esp32Device {
  if (!current) throw new Error('no emulated ESP32: call installDevice(new Esp32Device()) first');
  return current;
}
