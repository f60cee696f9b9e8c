// Two firmware slots and the bootloader's rollback logic, as ESP-IDF runs them, with power loss that
// can strike after any write. An "image" here is bytes beginning "FIRMWARE <version>\n".
import type { BootState, FirmwareSlot } from '../../src/ports';
import { bootloaderChoice, type SlotState } from '../../src/platform/node/host-flash';
import { PowerLoss } from './power-loss';

export { PowerLoss };

export function firmwareImage(version: string, size = 4096): Uint8Array {
  const image = new Uint8Array(size);
  const header = `FIRMWARE ${version}\n`;
  for (let i = 0; i < header.length; i++) image[i] = header.charCodeAt(i);
  for (let i = header.length; i < size; i++) image[i] = (i * 131 + version.length) & 0xff;
  return image;
}

export function imageVersion(image: Uint8Array | undefined): string | undefined {
  if (!image) return undefined;
  let text = '';
  for (let i = 0; i < 40 && image[i] !== 10; i++) text += String.fromCharCode(image[i]);
  return text.startsWith('FIRMWARE ') ? text.slice(9) : undefined;
}

export class FakeFlash {
  readonly capacityBytes: number;
  readonly images: (Uint8Array | undefined)[] = [undefined, undefined];
  readonly states: SlotState[] = ['empty', 'empty'];
  running = 0;
  /** The slot the bootloader starts next (otadata). */
  bootNext = 0;
  /** Throws PowerLoss on the write after this many more writes. */
  powerLossAfterWrites: number | undefined;
  writes = 0;
  boots = 0;
  /** Power is off (after a power loss): every operation fails until restart(). */
  dead = false;

  constructor(currentVersion: string, capacityBytes = 64 * 1024) {
    this.capacityBytes = capacityBytes;
    (this.slot as { capacityBytes: number }).capacityBytes = capacityBytes;
    this.images[0] = firmwareImage(currentVersion);
    this.states[0] = 'valid';
  }

  get runningVersion(): string {
    return imageVersion(this.images[this.running])!;
  }

  /** The update port: always the slot that is not running. */
  readonly slot: FirmwareSlot = {
    capacityBytes: 0,
    begin: (size) => {
      this.#alive();
      const target = 1 - this.running;
      if (size > this.capacityBytes) throw new Error(`image of ${size} bytes does not fit the ${this.capacityBytes}-byte slot`);
      this.images[target] = new Uint8Array(size).fill(0xff); // erased flash
      this.states[target] = 'empty';
    },
    write: (offset, bytes) => {
      this.#alive();
      if (this.powerLossAfterWrites !== undefined && this.powerLossAfterWrites-- <= 0) {
        this.dead = true;
        throw new PowerLoss('power lost while writing flash');
      }
      const target = this.images[1 - this.running]!;
      if (offset + bytes.length > target.length) throw new Error('write past the end of the slot');
      target.set(bytes, offset);
      this.writes++;
    },
    commit: () => {
      this.#alive();
      this.states[1 - this.running] = 'pending-verify';
      this.bootNext = 1 - this.running;
    },
    abort: () => {
      this.#alive();
      this.states[1 - this.running] = 'empty';
    },
  };

  /** The bootloader's state of the running image, as the firmware sees it. */
  readonly boot: BootState = Object.defineProperties(
    {
      markValid: () => {
        this.states[this.running] = 'valid';
      },
      rollback: () => {
        this.states[this.running] = 'aborted';
        this.bootNext = 1 - this.running;
        this.restart();
      },
    },
    { pendingVerify: { get: () => this.states[this.running] === 'pending-verify' } },
  ) as BootState;

  #alive(): void {
    if (this.dead) throw new PowerLoss('the device has no power');
  }

  /** Power cycle or reset: the bootloader picks the image, rolling back one that never confirmed itself. */
  restart(): void {
    this.dead = false;
    this.boots++;
    this.powerLossAfterWrites = undefined;
    const next = bootloaderChoice(this.states, this.running, this.bootNext);
    this.running = next;
    this.bootNext = next;
  }
}
