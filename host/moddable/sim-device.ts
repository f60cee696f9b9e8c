// A simulated ESP32 around the Moddable desktop simulator: its flash is a directory (the two app
// slots are the files ota_0.so and ota_1.so — an image is an mc.so — beside the boot record `boot`,
// which stands for ESP-IDF's otadata, and the store nvs.json), and this module is its bootloader: it
// reads the boot record, applies ESP-IDF's app-rollback rules and launches mcsim on the image it
// chose. The firmware inside reaches the same directory through boards/sim/esp-idf-sim.c
// ($ALTIMETER_FLASH_DIR), which keeps the device side of the contract (esp_ota_*, embedded:update).
//
// Rules (ESP-IDF bootloader with CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE):
// - the slot the record names boots; if it is still "pending-verify" it booted once and never
//   confirmed itself, so it becomes "aborted" and the other slot boots;
// - a slot that is "new" boots as "pending-verify" (on trial);
// - a slot whose state does not allow booting ("empty", "invalid", "aborted") or whose image does not
//   verify is skipped for the other one;
// - the reset reason of the new run is "software" after esp_restart (the firmware asked), else
//   "power-on" (the simulator was killed, as a power loss would stop the device).
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ModdableSdk } from './sdk';
import { startSimulator, type LaunchSettings, type SimulatorProcess } from './simulator';

export type SlotState = 'none' | 'new' | 'pending-verify' | 'valid' | 'invalid' | 'aborted' | 'empty';

export interface BootRecord {
  running: 0 | 1;
  next: 0 | 1;
  states: [SlotState, SlotState];
  reset: string;
  restartRequested: boolean;
}

/** The check esp-idf-sim.c's esp_ota_end makes: an ELF64 object whose section headers lie in the file. */
export function imageVerifies(file: string): boolean {
  if (!existsSync(file)) return false;
  const header = Buffer.alloc(64);
  const fd = openSync(file, 'r');
  try {
    if (readSync(fd, header, 0, 64, 0) !== 64) return false;
  } finally {
    closeSync(fd);
  }
  if (header.subarray(0, 4).toString('latin1') !== '\x7fELF' || header[4] !== 2) return false;
  const shoff = Number(header.readBigUInt64LE(0x28));
  const shnum = header.readUInt16LE(0x3c);
  const end = shoff + header.readUInt16LE(0x3a) * shnum;
  // Erased flash is 0xff: an image whose tail was never written has no section table there.
  if (shnum === 0 || end > readFileSync(file).length) return false;
  return !readFileSync(file).subarray(shoff, end).every((b) => b === 0xff);
}

export class SimulatedDevice {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** A device fresh from the factory: `image` (an mc.so) in slot 0, no otadata entry for it. */
  static flash(dir: string, image: string): SimulatedDevice {
    mkdirSync(dir, { recursive: true });
    copyFileSync(image, path.join(dir, 'ota_0.so'));
    const device = new SimulatedDevice(dir);
    device.write({ running: 0, next: 0, states: ['none', 'empty'], reset: 'power-on', restartRequested: false });
    return device;
  }

  slotFile(slot: 0 | 1): string {
    return path.join(this.dir, `ota_${slot}.so`);
  }

  read(): BootRecord {
    const fields = new Map<string, string>();
    for (const line of readFileSync(path.join(this.dir, 'boot'), 'utf8').split('\n')) {
      const [key, value] = line.split(' ');
      if (key) fields.set(key, value);
    }
    return {
      running: Number(fields.get('running')) === 1 ? 1 : 0,
      next: Number(fields.get('next')) === 1 ? 1 : 0,
      states: [(fields.get('state0') ?? 'none') as SlotState, (fields.get('state1') ?? 'empty') as SlotState],
      reset: fields.get('reset') ?? 'power-on',
      restartRequested: fields.get('restart-requested') === '1',
    };
  }

  write(record: BootRecord): void {
    const file = path.join(this.dir, 'boot');
    const text = `running ${record.running}\nnext ${record.next}\nstate0 ${record.states[0]}\nstate1 ${record.states[1]}\nreset ${record.reset}\nrestart-requested ${record.restartRequested ? 1 : 0}\n`;
    writeFileSync(`${file}.new`, text);
    renameSync(`${file}.new`, file);
  }

  #bootable(record: BootRecord, slot: 0 | 1): boolean {
    return ['none', 'new', 'valid'].includes(record.states[slot]) && imageVerifies(this.slotFile(slot));
  }

  /** What the bootloader does at a reset: returns the slot it starts. */
  boot(): 0 | 1 {
    const record = this.read();
    let slot = record.next;
    if (record.states[slot] === 'pending-verify') record.states[slot] = 'aborted'; // never confirmed: roll back
    if (!this.#bootable(record, slot)) slot = slot === 0 ? 1 : 0;
    if (!this.#bootable(record, slot)) throw new Error(`no bootable image in ${this.dir}: the device is bricked (${record.states.join(', ')})`);
    if (record.states[slot] === 'new') record.states[slot] = 'pending-verify';
    record.reset = record.restartRequested ? 'software' : 'power-on';
    record.restartRequested = false;
    record.running = slot;
    record.next = slot;
    this.write(record);
    return slot;
  }

  /** Resets the device and starts mcsim on the image the bootloader chose. */
  launch(sdk: ModdableSdk, options: DeviceOptions = {}): SimulatorProcess {
    const slot = this.boot();
    return this.#start(sdk, slot, options);
  }

  /**
   * mcsim on a slot's image. It runs in the device's directory, so the SDK's Preference file
   * (modpreferences.json: the launch settings and the broker login) stays with the device, as NVS does.
   */
  #start(sdk: ModdableSdk, slot: 0 | 1, options: DeviceOptions): SimulatorProcess {
    return startSimulator(sdk, this.slotFile(slot), { headless: options.headless, launch: options.launch, runDir: this.dir, env: { ALTIMETER_FLASH_DIR: this.dir } });
  }

  /**
   * Powers the device on and keeps it running: whenever the firmware restarts itself (esp_restart
   * ends mcsim after marking the boot record), the bootloader runs and mcsim starts again.
   */
  powerOn(sdk: ModdableSdk, options: DeviceOptions = {}): DeviceRun {
    const traces: string[] = [];
    const waiters: { pattern: RegExp; from: number; resolve: (line: string) => void }[] = [];
    let current: SimulatorProcess | undefined;
    let launches = 0;
    let off = false;
    const follow = (simulator: SimulatorProcess) => {
      let seen = 0;
      const drain = () => {
        while (seen < simulator.traces.length) {
          const line = simulator.traces[seen++];
          traces.push(line);
          for (const waiter of waiters.filter((w) => w.pattern.test(line))) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(line);
          }
        }
      };
      const pump = setInterval(drain, 20);
      // 'close': mcsim's last traces are out of the pipe by then.
      simulator.child.once('close', () => {
        drain();
        clearInterval(pump);
        if (current !== simulator) return;
        current = undefined;
        if (!off && this.read().restartRequested) start();
      });
    };
    const start = () => {
      const slot = this.boot();
      launches++;
      traces.push(`--- launch ${launches}: slot ${slot}, reset ${this.read().reset}`);
      current = this.#start(sdk, slot, options);
      follow(current);
    };
    start();
    const stopCurrent = async (signal: NodeJS.Signals) => {
      const simulator = current;
      current = undefined;
      if (!simulator || simulator.child.exitCode !== null || simulator.child.pid === undefined) return;
      const exited = new Promise<void>((resolve) => simulator.child.once('exit', () => resolve()));
      try {
        process.kill(-simulator.child.pid, signal); // the whole group: xvfb-run, Xvfb and mcsim
      } catch {
        /* already gone */
      }
      await exited;
    };
    return {
      traces,
      get launches() {
        return launches;
      },
      get running() {
        return current !== undefined;
      },
      waitForTrace(pattern, from = 0) {
        const seen = traces.slice(from).find((line) => pattern.test(line));
        if (seen) return Promise.resolve(seen);
        return new Promise((resolve) => waiters.push({ pattern, from, resolve }));
      },
      powerLoss: () => stopCurrent('SIGKILL'),
      powerOn() {
        if (!current) start();
      },
      async off() {
        off = true;
        await stopCurrent('SIGTERM');
      },
    };
  }
}

export interface DeviceOptions {
  /** Run under xvfb-run (default: when there is no $DISPLAY). */
  headless?: boolean;
  /** Settings handed to the firmware at every launch (host/moddable/simulator.ts). */
  launch?: LaunchSettings;
}

export interface DeviceRun {
  /** Every trace line of every run; each run starts with a line "--- launch N: slot S, reset R". */
  readonly traces: string[];
  readonly launches: number;
  /** mcsim runs now (false between a power loss and powerOn()). */
  readonly running: boolean;
  /** The first trace line from index `from` on that matches. */
  waitForTrace(pattern: RegExp, from?: number): Promise<string>;
  /** kill -9: the firmware stops wherever it was; nothing restarts until powerOn(). */
  powerLoss(): Promise<void>;
  powerOn(): void;
  off(): Promise<void>;
}
