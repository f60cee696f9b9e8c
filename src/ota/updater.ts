// The updater: checks a signed manifest, streams the image into the inactive slot while hashing it,
// resumes a dropped download with a Range request, commits only when size and SHA-256 match, and
// reboots. After the reboot the new image must prove itself (sensor read, broker reachable, info
// published with the new version) within `selfTestMs`; otherwise it asks the bootloader to roll back
// and the old image reports "rolled back from X: <reason>".
//
// Nothing here can brick the device: the running image is never written, a power loss at any byte
// leaves the old image booting (the slot is only committed at the end), and a bad new image is
// rolled back by the bootloader even if it cannot run this code at all (ESP-IDF app rollback).
import type { BootState, Clock, FirmwareSlot, Hasher, HttpGet, KeyValueStore, Log, TimerHandle } from '../ports';
import { checkManifest, OtaError, type AcceptedManifest, type DeviceIdentity, type UpdateManifest } from './manifest';
import { Sha256, toHex } from './sha256';

export interface UpdaterOptions {
  device: DeviceIdentity;
  slot: FirmwareSlot;
  boot: BootState;
  http: HttpGet;
  clock: Clock;
  store: KeyValueStore;
  /** Restarts the device (after saving what must survive). */
  reboot: () => void;
  createHasher?: () => Hasher;
  /** Download attempts before giving up (each resumes where the last stopped). */
  maxAttempts?: number;
  retryDelayMs?: number;
  /** How long a new image has to prove itself after its first boot. */
  selfTestMs?: number;
  log?: Log;
}

interface PendingUpdate {
  version: string;
  previousVersion: string;
  /** Set when the new image gave up on itself. */
  failure?: string;
}

const PENDING_KEY = 'ota-pending';
/** The counter and signature of the last manifest accepted (manifest.ts: replays are refused). */
const ACCEPTED_KEY = 'ota-accepted';

export type StartResult = { ok: true; version: string } | { ok: false; error: string };

export class Updater {
  readonly #options: UpdaterOptions;
  /** Where progress goes (<id>/ota); the node sets it. */
  report: (status: string) => void = () => {};
  #manifest: UpdateManifest | undefined;
  #hasher: Hasher | undefined;
  #written = 0;
  #attempt = 0;
  #lastPercent = -1;
  #request: { abort(): void } | undefined;
  #selfTestTimer: TimerHandle | undefined;

  constructor(options: UpdaterOptions) {
    this.#options = options;
  }

  get busy(): boolean {
    return this.#manifest !== undefined;
  }

  /**
   * Starts an update from an `ota` command sent to `deviceId` (the id the device answers to): every
   * check happens before anything is written, and the manifest's counter is recorded before the
   * download starts, so it can never be accepted again after a newer one.
   */
  start(input: unknown, deviceId: string): StartResult {
    if (this.#manifest) return { ok: false, error: `an update to ${this.#manifest.version} is already in progress; wait for it to finish` };
    if (this.#options.boot.pendingVerify) return { ok: false, error: 'the running image has not confirmed itself yet; try again after its self-test' };
    let manifest: UpdateManifest;
    try {
      manifest = checkManifest(input, this.#options.device, { deviceId, nowMs: this.#options.clock.now(), last: this.#lastAccepted() });
    } catch (error) {
      return this.#refuse(error instanceof OtaError ? error.message : `the manifest cannot be checked: ${(error as Error).message}`);
    }
    try {
      const accepted: AcceptedManifest = { counter: manifest.counter, signature: manifest.signature };
      this.#options.store.set(ACCEPTED_KEY, JSON.stringify(accepted));
    } catch (error) {
      return this.#refuse(`the update counter cannot be saved (${(error as Error).message}): refused, since a replay could not be told apart later`);
    }
    try {
      this.#options.slot.begin(manifest.size);
    } catch (error) {
      return this.#refuse(`the update slot cannot be prepared: ${(error as Error).message}`);
    }
    this.#manifest = manifest;
    this.#hasher = (this.#options.createHasher ?? (() => new Sha256()))();
    this.#written = 0;
    this.#attempt = 0;
    this.#lastPercent = -1;
    this.#options.log?.(`ota: updating ${this.#options.device.currentVersion} → ${manifest.version} from ${manifest.url}`);
    this.#download();
    return { ok: true, version: manifest.version };
  }

  #refuse(message: string): StartResult {
    this.report(`failed: ${message}`);
    return { ok: false, error: message };
  }

  #lastAccepted(): AcceptedManifest | undefined {
    const saved = this.#options.store.get(ACCEPTED_KEY);
    if (saved === undefined) return undefined;
    let record: Partial<AcceptedManifest> | undefined;
    try {
      record = JSON.parse(saved) as Partial<AcceptedManifest>;
    } catch {
      record = undefined;
    }
    if (typeof record?.counter !== 'number' || typeof record.signature !== 'string') {
      // An unreadable record must not reopen the door to old manifests: fail closed.
      throw new OtaError('REPLAYED', 'the record of the last update this device accepted is unreadable: every manifest is refused rather than risk a replay (erase the NVS to reset it)');
    }
    return { counter: record.counter, signature: record.signature };
  }

  #download(): void {
    const manifest = this.#manifest!;
    this.#attempt++;
    let accepted = false;
    this.#request = this.#options.http(manifest.url, this.#written, {
      onResponse: (status, rangeStart) => {
        if (status === 206 && rangeStart === this.#written) accepted = true;
        else if (status === 200) {
          // A whole image again (the server ignored Range): start over, hash included.
          if (this.#written > 0) this.#options.log?.('ota: the server sent the whole image again; restarting the download');
          this.#written = 0;
          this.#hasher = (this.#options.createHasher ?? (() => new Sha256()))();
          accepted = true;
        } else {
          this.#fail(new OtaError('DOWNLOAD_FAILED', `the image server answered HTTP ${status} for ${manifest.url}`));
        }
      },
      onData: (bytes) => {
        if (!accepted || !this.#manifest) return;
        if (this.#written + bytes.length > manifest.size) {
          this.#fail(new OtaError('SIZE_MISMATCH', `the image is longer than the ${manifest.size} bytes the manifest promised`));
          return;
        }
        try {
          this.#options.slot.write(this.#written, bytes);
        } catch (error) {
          this.#fail(new OtaError('FLASH_FAILED', `writing the update slot failed: ${(error as Error).message}`));
          return;
        }
        this.#hasher!.update(bytes);
        this.#written += bytes.length;
        const percent = Math.floor((this.#written * 100) / manifest.size);
        if (percent >= this.#lastPercent + 10 || (percent === 100 && this.#lastPercent !== 100)) {
          this.#lastPercent = percent;
          this.report(`downloading ${percent}%`);
        }
      },
      onEnd: () => {
        if (!this.#manifest) return;
        if (this.#written < manifest.size) this.#retry(`the connection closed after ${this.#written} of ${manifest.size} bytes`);
        else this.#finish();
      },
      onError: (message) => {
        if (this.#manifest) this.#retry(message);
      },
    });
  }

  #retry(reason: string): void {
    const { maxAttempts = 5, retryDelayMs = 2000, clock, log } = this.#options;
    this.#request = undefined;
    if (this.#attempt >= maxAttempts) {
      this.#fail(new OtaError('DOWNLOAD_FAILED', `the download failed ${maxAttempts} times (last: ${reason})`));
      return;
    }
    log?.(`ota: ${reason}; resuming from byte ${this.#written} in ${retryDelayMs} ms`);
    clock.setTimer(() => this.#manifest && this.#download(), retryDelayMs);
  }

  #finish(): void {
    const manifest = this.#manifest!;
    this.report('verifying');
    const hash = toHex(this.#hasher!.digest());
    if (hash !== manifest.sha256) {
      this.#fail(new OtaError('HASH_MISMATCH', `the image's SHA-256 is ${hash}, the manifest says ${manifest.sha256}`));
      return;
    }
    try {
      this.#options.slot.commit();
    } catch (error) {
      this.#fail(new OtaError('FLASH_FAILED', `the new image could not be made bootable: ${(error as Error).message}`));
      return;
    }
    const pending: PendingUpdate = { version: manifest.version, previousVersion: this.#options.device.currentVersion };
    this.#options.store.set(PENDING_KEY, JSON.stringify(pending));
    this.report('rebooting');
    this.#options.log?.(`ota: ${manifest.version} written and verified; rebooting into it`);
    this.#manifest = undefined;
    this.#options.clock.setTimer(() => this.#options.reboot(), 1000);
  }

  #fail(error: OtaError): void {
    this.#request?.abort();
    this.#request = undefined;
    this.#manifest = undefined;
    try {
      this.#options.slot.abort();
    } catch {
      // the slot is not bootable either way; the running image stays
    }
    this.#options.log?.(`ota failed (${error.code}): ${error.message}`);
    this.report(`failed: ${error.message}`);
  }

  // ---- after a reboot -------------------------------------------------------------------------

  /**
   * Call once at start-up. A new image starts its self-test clock; an old image that finds a
   * pending update it is not running reports the rollback; a confirmed new image reports success.
   */
  checkAfterBoot(): void {
    const saved = this.#options.store.get(PENDING_KEY);
    if (saved === undefined) return;
    const pending = JSON.parse(saved) as PendingUpdate;
    const current = this.#options.device.currentVersion;
    if (this.#options.boot.pendingVerify && pending.version === current) {
      const { selfTestMs = 120_000, clock } = this.#options;
      this.#selfTestTimer = clock.setTimer(() => this.#selfTestFailed(`no sensor reading, broker connection and info within ${selfTestMs / 1000} s`), selfTestMs);
      return;
    }
    if (pending.version !== current) {
      this.#options.store.delete(PENDING_KEY);
      this.report(`rolled back from ${pending.version}: ${pending.failure ?? 'the new image did not confirm itself'}`);
    } else {
      this.#options.store.delete(PENDING_KEY);
      this.report(`updated to ${current}`);
    }
  }

  /** The node is healthy (reading, connected, info published): a new image confirms itself. */
  healthy(): void {
    if (!this.#options.boot.pendingVerify) return;
    if (this.#selfTestTimer !== undefined) this.#options.clock.clearTimer(this.#selfTestTimer);
    this.#selfTestTimer = undefined;
    this.#options.boot.markValid();
    this.#options.store.delete(PENDING_KEY);
    this.#options.log?.(`ota: ${this.#options.device.currentVersion} passed its self-test and is now confirmed`);
    this.report(`updated to ${this.#options.device.currentVersion}`);
  }

  #selfTestFailed(reason: string): void {
    const saved = this.#options.store.get(PENDING_KEY);
    const pending: PendingUpdate = saved ? (JSON.parse(saved) as PendingUpdate) : { version: this.#options.device.currentVersion, previousVersion: '?' };
    pending.failure = `self-test failed: ${reason}`;
    this.#options.store.set(PENDING_KEY, JSON.stringify(pending));
    this.#options.log?.(`ota: ${pending.failure}; rolling back to ${pending.previousVersion}`);
    this.#options.boot.rollback();
  }
}
