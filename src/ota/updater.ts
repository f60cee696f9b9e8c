// The updater: checks a signed manifest, streams the image into the inactive slot while hashing it,
// resumes a dropped download with a Range request, commits only when size and SHA-256 match, and
// reboots. After the reboot the new image must prove itself (sensor read, broker reachable, info
// published with the new version) within `selfTestMs`; otherwise it asks the bootloader to roll back
// and the old image reports "rolled back from X: <reason>".
//
// Nothing here can brick the device: the running image is never written, a power loss at any byte
// leaves the old image booting (the slot is only committed at the end), and a bad new image is
// rolled back by the bootloader even if it cannot run this code at all (ESP-IDF app rollback).
//
// Whether the running image is still on trial comes from the bootloader (BootState), never from a
// record of our own: a record can be missing, and an image that believed it was not on trial would
// never confirm itself and would silently revert at the next reset. The one record we keep
// (PENDING_KEY: which version we moved to, and why it failed if it did) only words the report after
// the reboot; it is written before the commit, so a power loss cannot leave a committed image
// without it.
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
  /** A download that receives nothing for this long is dropped and resumed (a stalled link). */
  stallTimeoutMs?: number;
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
  /** When the download last made progress, and the timer that watches it. */
  #progressAtMs = 0;
  #watchdog: TimerHandle | undefined;
  #selfTestTimer: TimerHandle | undefined;

  constructor(options: UpdaterOptions) {
    this.#options = options;
  }

  /** The date for the manifest's expiry; null until the device knows it (SNTP has answered). */
  #date(): number | null {
    const clock = this.#options.clock;
    return clock.epochMs ? (clock.epochMs() ?? null) : clock.now();
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
      manifest = checkManifest(input, this.#options.device, { deviceId, nowMs: this.#date(), last: this.#lastAccepted() });
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
    this.#watch();
    this.#request = this.#options.http(manifest.url, this.#written, {
      onResponse: (status, rangeStart) => {
        this.#progressAtMs = this.#options.clock.now();
        if (status === 206 && rangeStart === this.#written) accepted = true;
        else if (status === 200) {
          // A whole image again (the server ignored Range): start over, hash and slot included (flash
          // already written must be erased before it can be written again).
          if (this.#written > 0) {
            this.#options.log?.('ota: the server sent the whole image again; restarting the download');
            try {
              this.#options.slot.begin(manifest.size);
            } catch (error) {
              this.#fail(new OtaError('FLASH_FAILED', `the update slot cannot be prepared again: ${(error as Error).message}`));
              return;
            }
          }
          this.#written = 0;
          this.#hasher = (this.#options.createHasher ?? (() => new Sha256()))();
          accepted = true;
        } else {
          this.#fail(new OtaError('DOWNLOAD_FAILED', `the image server answered HTTP ${status} for ${manifest.url}`));
        }
      },
      onData: (bytes) => {
        if (!accepted || !this.#manifest) return;
        this.#progressAtMs = this.#options.clock.now();
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

  /** A connection that neither fails nor delivers would hold the update forever: drop it and resume. */
  #watch(): void {
    const { stallTimeoutMs = 30_000, clock } = this.#options;
    this.#progressAtMs = clock.now();
    this.#watchdog ??= clock.setRepeatingTimer(() => {
      if (!this.#request || clock.now() - this.#progressAtMs < stallTimeoutMs) return;
      this.#request.abort();
      this.#retry(`no data for ${Math.round(stallTimeoutMs / 1000)} s after byte ${this.#written}`);
    }, stallTimeoutMs / 2);
  }

  #unwatch(): void {
    if (this.#watchdog !== undefined) this.#options.clock.clearTimer(this.#watchdog);
    this.#watchdog = undefined;
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
    this.#unwatch();
    this.report('verifying');
    const hash = toHex(this.#hasher!.digest());
    if (hash !== manifest.sha256) {
      this.#fail(new OtaError('HASH_MISMATCH', `the image's SHA-256 is ${hash}, the manifest says ${manifest.sha256}`));
      return;
    }
    const pending: PendingUpdate = { version: manifest.version, previousVersion: this.#options.device.currentVersion };
    try {
      this.#options.store.set(PENDING_KEY, JSON.stringify(pending)); // before the commit, never after
      this.#options.slot.commit();
    } catch (error) {
      this.#options.store.delete(PENDING_KEY);
      this.#fail(new OtaError('FLASH_FAILED', `the new image could not be made bootable: ${(error as Error).message}`));
      return;
    }
    this.report('rebooting');
    this.#options.log?.(`ota: ${manifest.version} written and verified; rebooting into it`);
    this.#manifest = undefined;
    this.#options.clock.setTimer(() => this.#options.reboot(), 1000);
  }

  #fail(error: OtaError): void {
    this.#unwatch();
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
   * Call once at start-up. An image on trial (the bootloader says so) starts its self-test clock; an
   * image that finds the record of an update it is not running reports why; a confirmed new image
   * reports success.
   */
  checkAfterBoot(): void {
    const { boot, store, device } = this.#options;
    const saved = store.get(PENDING_KEY);
    const pending = saved === undefined ? undefined : (JSON.parse(saved) as PendingUpdate);
    const current = device.currentVersion;
    if (boot.pendingVerify) {
      const { selfTestMs = 120_000, clock } = this.#options;
      if (!pending) this.#options.log?.(`ota: ${current} is on trial but left no record of the update; self-testing anyway`);
      this.#selfTestTimer = clock.setTimer(() => this.#selfTestFailed(`no sensor reading, broker connection and info within ${selfTestMs / 1000} s`), selfTestMs);
      return;
    }
    if (!pending) return;
    store.delete(PENDING_KEY);
    if (pending.version === current) this.report(`updated to ${current}`);
    else if (boot.otherImageRejected) this.report(`rolled back from ${pending.version}: ${pending.failure ?? 'the new image did not confirm itself'}`);
    else this.report(`update to ${pending.version} not installed: it was interrupted before the new image was made bootable; ${current} runs`);
  }

  /** The node is healthy (reading, connected, info published): a new image confirms itself. */
  healthy(): void {
    if (!this.#options.boot.pendingVerify) return;
    try {
      this.#options.boot.markValid();
    } catch (error) {
      // Not confirmed: the bootloader will return to the previous image at the next reset.
      this.#options.log?.(`ota: ${this.#options.device.currentVersion} could not confirm itself: ${(error as Error).message}`);
      return;
    }
    if (this.#selfTestTimer !== undefined) this.#options.clock.clearTimer(this.#selfTestTimer);
    this.#selfTestTimer = undefined;
    this.#options.store.delete(PENDING_KEY);
    this.#options.log?.(`ota: ${this.#options.device.currentVersion} passed its self-test and is now confirmed`);
    this.report(`updated to ${this.#options.device.currentVersion}`);
  }

  #selfTestFailed(reason: string): void {
    const saved = this.#options.store.get(PENDING_KEY);
    const pending: PendingUpdate = saved ? (JSON.parse(saved) as PendingUpdate) : { version: this.#options.device.currentVersion, previousVersion: '?' };
    pending.failure = `self-test failed: ${reason}`;
    try {
      this.#options.store.set(PENDING_KEY, JSON.stringify(pending));
    } catch (error) {
      this.#options.log?.(`ota: the reason for the rollback could not be stored (${(error as Error).message})`);
    }
    this.#options.log?.(`ota: ${pending.failure}; rolling back to ${pending.previousVersion}`);
    this.#options.boot.rollback();
  }
}
