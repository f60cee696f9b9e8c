// The firmware slot and boot ports for the host simulation: two image files and an otadata file in a
// directory, with the same rules as ESP-IDF's app rollback (an image boots "pending verification";
// if it restarts before confirming itself, the previous image boots again). An image starts with a
// line "FIRMWARE <version>": that is how the simulated device knows what it runs.
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, writeFileSync, writeSync, renameSync } from 'node:fs';
import path from 'node:path';
import type { BootState, FirmwareSlot } from '../../ports';

export type SlotState = 'empty' | 'valid' | 'pending-verify' | 'aborted';

/**
 * Which slot the bootloader starts at a reset (ESP-IDF app rollback): the one otadata names, unless
 * it is still pending verification from a boot that already happened (it never confirmed itself) or
 * is not bootable; then the other. Marks a rolled-back image aborted.
 */
export function bootloaderChoice(states: SlotState[], running: number, bootNext: number): number {
  let next = bootNext;
  if (states[next] === 'pending-verify' && running === next) {
    states[next] = 'aborted';
    next = 1 - next;
  }
  if (states[next] === 'aborted' || states[next] === 'empty') next = 1 - next;
  return next;
}
interface OtaData {
  running: number;
  bootNext: number;
  states: SlotState[];
}

export function firmwareHeader(version: string): string {
  return `FIRMWARE ${version}\n`;
}

export class HostFlash {
  readonly dir: string;
  readonly capacityBytes: number;
  #data: OtaData;
  #writing: number | undefined;

  /** Opens (or creates, with `initialVersion` in slot 0) the flash in `dir`. */
  constructor(dir: string, initialVersion: string, capacityBytes = 16 * 1024 * 1024) {
    this.dir = dir;
    this.capacityBytes = capacityBytes;
    (this.slot as { capacityBytes: number }).capacityBytes = capacityBytes;
    mkdirSync(dir, { recursive: true });
    const otadata = path.join(dir, 'otadata.json');
    if (existsSync(otadata)) {
      this.#data = JSON.parse(readFileSync(otadata, 'utf8')) as OtaData;
    } else {
      writeFileSync(this.#image(0), firmwareHeader(initialVersion));
      this.#data = { running: 0, bootNext: 0, states: ['valid', 'empty'] };
      this.#save();
    }
  }

  #image(slot: number): string {
    return path.join(this.dir, `slot${slot}.bin`);
  }

  #save(): void {
    const file = path.join(this.dir, 'otadata.json');
    writeFileSync(`${file}.tmp`, JSON.stringify(this.#data));
    renameSync(`${file}.tmp`, file);
  }

  get runningVersion(): string {
    const header = readFileSync(this.#image(this.#data.running), 'latin1').split('\n', 1)[0];
    return header.startsWith('FIRMWARE ') ? header.slice(9) : 'unknown';
  }

  readonly slot: FirmwareSlot = {
    capacityBytes: 0,
    begin: (size) => {
      if (size > this.capacityBytes) throw new Error(`an image of ${size} bytes does not fit the ${this.capacityBytes}-byte slot`);
      const target = 1 - this.#data.running;
      writeFileSync(this.#image(target), Buffer.alloc(0));
      this.#data.states[target] = 'empty';
      this.#save();
      this.#writing = target;
    },
    write: (offset, bytes) => {
      const fd = openSync(this.#image(this.#writing!), 'r+');
      try {
        writeSync(fd, bytes, 0, bytes.length, offset);
      } finally {
        closeSync(fd);
      }
    },
    commit: () => {
      this.#data.states[this.#writing!] = 'pending-verify';
      this.#data.bootNext = this.#writing!;
      this.#save();
    },
    abort: () => {
      if (this.#writing !== undefined) this.#data.states[this.#writing] = 'empty';
      this.#save();
    },
  };

  readonly boot: BootState = Object.defineProperties(
    {
      markValid: () => {
        this.#data.states[this.#data.running] = 'valid';
        this.#save();
      },
      rollback: () => {
        this.#data.states[this.#data.running] = 'aborted';
        this.#data.bootNext = 1 - this.#data.running;
        this.#save();
        this.restart();
      },
    },
    {
      pendingVerify: { get: () => this.#data.states[this.#data.running] === 'pending-verify' },
      otherImageRejected: { get: () => this.#data.states[1 - this.#data.running] === 'aborted' },
    },
  ) as BootState;

  /** What the bootloader does at a reset: boot the next image, or roll back one that never confirmed itself. */
  restart(): void {
    const d = this.#data;
    const next = bootloaderChoice(d.states, d.running, d.bootNext);
    d.running = next;
    d.bootNext = next;
    this.#save();
  }
}
