// ESP-IDF's OTA API and its bootloader's app rollback (CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE, as
// boards/esp32/sdkconfig sets it), over the emulated flash. Modelled on ESP-IDF
// components/app_update/esp_ota_ops.c (v5/v6) and bootloader_support's otadata selection:
//
// - otadata holds two entries (one per sector) {ota_seq, ota_state, crc}; an erased entry has
//   seq 0xFFFFFFFF. An entry is *valid* when its seq is set, its crc matches and its state is neither
//   INVALID nor ABORTED; the active entry is the valid one with the highest seq; it boots slot
//   (seq - 1) % number_of_ota_partitions. No valid entry: the first OTA partition boots.
// - esp_ota_begin refuses the running partition (ESP_ERR_OTA_PARTITION_CONFLICT) and refuses to
//   start while the running app is PENDING_VERIFY (ESP_ERR_OTA_ROLLBACK_INVALID_STATE); with a size
//   it erases that many bytes rounded up to sectors (0 or OTA_SIZE_UNKNOWN: the whole partition);
//   OTA_WITH_SEQUENTIAL_WRITES erases sector by sector as esp_ota_write goes. It then invalidates the
//   inactive otadata entry (esp_ota_invalidate_inactive_ota_data_slot), so the bootloader can never
//   fall back into the partition being rewritten.
// - esp_ota_write checks the first byte is the image magic 0xE9; esp_ota_write_with_offset does not
//   and erases nothing. esp_ota_end verifies the whole image (esp-image.ts) and forgets the handle
//   either way. esp_ota_set_boot_partition verifies again and writes the inactive otadata entry with
//   the seq that boots the partition and state NEW.
// - At boot the bootloader aborts an active entry still PENDING_VERIFY (the app booted once and
//   never confirmed itself: any reset counts), marks a NEW one PENDING_VERIFY, and skips an image
//   that does not verify.
// - esp_ota_mark_app_valid_cancel_rollback sets the active entry VALID (ESP_FAIL "running firmware
//   is factory" when otadata is blank); esp_ota_mark_app_invalid_rollback_and_reboot sets it INVALID
//   and restarts, but only when the other entry is valid and its image verifies: otherwise it returns
//   ESP_ERR_OTA_ROLLBACK_FAILED and does not restart (the case of the first update of a device whose
//   otadata was blank).
import { verifyEspImage } from './esp-image';
import { ESP_ERR_INVALID_ARG, ESP_ERR_NOT_FOUND, ESP_ERR_NOT_SUPPORTED, ESP_FAIL, ESP_OK, SECTOR_BYTES, type EspFlash, type FlashPartition } from './esp-flash';

export const ESP_ERR_OTA_PARTITION_CONFLICT = 0x1501;
export const ESP_ERR_OTA_VALIDATE_FAILED = 0x1503;
export const ESP_ERR_OTA_ROLLBACK_FAILED = 0x1505;
export const ESP_ERR_OTA_ROLLBACK_INVALID_STATE = 0x1506;

export const OTA_SIZE_UNKNOWN = 0xffffffff;
export const OTA_WITH_SEQUENTIAL_WRITES = 0xfffffffe;

export enum OtaImageState {
  NEW = 0,
  PENDING_VERIFY = 1,
  VALID = 2,
  INVALID = 3,
  ABORTED = 4,
  UNDEFINED = 0xffffffff,
}

interface OtadataEntry {
  seq: number;
  state: OtaImageState;
}

interface OtaHandle {
  partition: FlashPartition;
  needErase: boolean;
  wroteSize: number;
}

export class EspIdfOta {
  readonly #flash: EspFlash;
  /** The two otadata sectors; undefined is an erased (or torn) sector. */
  readonly otadata: (OtadataEntry | undefined)[] = [undefined, undefined];
  /** The partition the bootloader started. */
  running: FlashPartition;
  readonly #handles = new Map<number, OtaHandle>();
  #lastHandle = 0;
  /** Set by esp_restart(); the device model reboots. */
  onRestart: () => void = () => {};

  constructor(flash: EspFlash) {
    this.#flash = flash;
    this.running = flash.otaApps[0];
  }

  // ---- otadata ----------------------------------------------------------------------------------

  #slotOf(entry: OtadataEntry): number {
    return (entry.seq - 1) % this.#flash.otaApps.length;
  }
  #valid(entry: OtadataEntry | undefined): entry is OtadataEntry {
    return entry !== undefined && entry.state !== OtaImageState.INVALID && entry.state !== OtaImageState.ABORTED;
  }
  /** bootloader_common_get_active_otadata: the valid entry with the highest seq, or -1. */
  activeIndex(): number {
    const [a, b] = this.otadata;
    if (this.#valid(a) && this.#valid(b)) return a.seq >= b.seq ? 0 : 1;
    if (this.#valid(a)) return 0;
    if (this.#valid(b)) return 1;
    return -1;
  }
  /** rewrite_ota_seq: erase the entry's sector, then program it (power may fail in between). */
  #rewrite(index: number, entry: OtadataEntry): number {
    const otadataPartition = this.#flash.findFirst('data', 'ota');
    if (!otadataPartition) return ESP_ERR_NOT_FOUND;
    this.otadata[index] = undefined;
    const erased = otadataPartition.erase(index * SECTOR_BYTES, SECTOR_BYTES);
    if (erased !== ESP_OK) return erased;
    otadataPartition.write(index * SECTOR_BYTES, new Uint8Array(32)); // may tear: the entry stays erased
    this.otadata[index] = { ...entry };
    return ESP_OK;
  }

  // ---- the OTA API ------------------------------------------------------------------------------

  getRunningPartition(): FlashPartition {
    return this.running;
  }

  getNextUpdatePartition(): FlashPartition {
    const apps = this.#flash.otaApps;
    const index = apps.indexOf(this.running);
    return apps[(index + 1) % apps.length];
  }

  getStatePartition(partition: FlashPartition): { err: number; state?: OtaImageState } {
    if (!partition.isOtaApp) return { err: ESP_ERR_NOT_SUPPORTED };
    for (const entry of this.otadata) {
      if (entry && this.#slotOf(entry) === partition.otaSlot) return { err: ESP_OK, state: entry.state };
    }
    return { err: ESP_ERR_NOT_FOUND };
  }

  begin(partition: FlashPartition, imageSize: number): { err: number; handle?: number } {
    this.#flash.checkPower();
    if (!partition.isOtaApp) return { err: ESP_ERR_INVALID_ARG };
    if (partition === this.running) return { err: ESP_ERR_OTA_PARTITION_CONFLICT };
    const running = this.getStatePartition(this.running);
    if (running.err === ESP_OK && running.state === OtaImageState.PENDING_VERIFY) return { err: ESP_ERR_OTA_ROLLBACK_INVALID_STATE };
    const handle = ++this.#lastHandle;
    this.#handles.set(handle, { partition, needErase: imageSize === OTA_WITH_SEQUENTIAL_WRITES, wroteSize: 0 });
    if (imageSize !== OTA_WITH_SEQUENTIAL_WRITES) {
      const bytes = imageSize === 0 || imageSize === OTA_SIZE_UNKNOWN ? partition.size : Math.ceil(imageSize / SECTOR_BYTES) * SECTOR_BYTES;
      const err = partition.erase(0, bytes);
      if (err !== ESP_OK) return { err };
    }
    this.#invalidateInactiveEntry();
    return { err: ESP_OK, handle };
  }

  /** esp_ota_invalidate_inactive_ota_data_slot: forget the entry of the partition being rewritten. */
  #invalidateInactiveEntry(): void {
    const active = this.activeIndex();
    if (active === -1) return;
    const inactive = 1 - active;
    const entry = this.otadata[inactive];
    if (!entry) return;
    if (this.#flash.otaApps[this.#slotOf(entry)] === this.running) return;
    this.#flash.findFirst('data', 'ota')!.erase(inactive * SECTOR_BYTES, SECTOR_BYTES);
    this.otadata[inactive] = undefined;
  }

  write(handle: number, data: Uint8Array): number {
    if (data.length === 0) return ESP_OK;
    const it = this.#handles.get(handle);
    if (!it) return ESP_ERR_INVALID_ARG;
    if (it.needErase) {
      const first = Math.floor(it.wroteSize / SECTOR_BYTES);
      const last = Math.floor((it.wroteSize + data.length - 1) / SECTOR_BYTES);
      let err = ESP_OK;
      if (it.wroteSize % SECTOR_BYTES === 0) err = it.partition.erase(it.wroteSize, (last - first + 1) * SECTOR_BYTES);
      else if (first !== last) err = it.partition.erase((first + 1) * SECTOR_BYTES, (last - first) * SECTOR_BYTES);
      if (err !== ESP_OK) return err;
    }
    if (it.wroteSize === 0 && data[0] !== 0xe9) return ESP_ERR_OTA_VALIDATE_FAILED;
    const err = it.partition.write(it.wroteSize, data);
    if (err === ESP_OK) it.wroteSize += data.length;
    return err;
  }

  /** esp_ota_write_with_offset; ESP-IDF asserts (aborts the program) when the handle erases as it goes. */
  writeWithOffset(handle: number, data: Uint8Array, offset: number): number {
    const it = this.#handles.get(handle);
    if (!it) return ESP_ERR_INVALID_ARG;
    if (it.needErase) throw new Error('assert failed: must erase the partition before writing to it (esp_ota_write_with_offset)');
    const err = it.partition.write(offset, data);
    if (err === ESP_OK) it.wroteSize += data.length;
    return err;
  }

  abort(handle: number): number {
    return this.#handles.delete(handle) ? ESP_OK : ESP_ERR_NOT_FOUND;
  }

  end(handle: number): number {
    const it = this.#handles.get(handle);
    if (!it) return ESP_ERR_NOT_FOUND;
    this.#handles.delete(handle);
    if (it.wroteSize === 0) return ESP_ERR_INVALID_ARG;
    return verifyEspImage(it.partition.bytes).ok ? ESP_OK : ESP_ERR_OTA_VALIDATE_FAILED;
  }

  setBootPartition(partition: FlashPartition): number {
    this.#flash.checkPower();
    if (!verifyEspImage(partition.bytes).ok) return ESP_ERR_OTA_VALIDATE_FAILED;
    if (!partition.isOtaApp) return ESP_ERR_INVALID_ARG;
    const count = this.#flash.otaApps.length;
    const slot = partition.otaSlot;
    const active = this.activeIndex();
    let index: number;
    let seq: number;
    if (active === -1) {
      index = 0;
      seq = slot + 1;
    } else if (this.#slotOf(this.otadata[active]!) === slot) {
      index = active;
      seq = this.otadata[active]!.seq;
    } else {
      index = 1 - active;
      const current = this.otadata[active]!.seq;
      const base = (slot + 1) % count;
      let i = 0;
      while (current > base + i * count) i++;
      seq = base + i * count;
    }
    return this.#rewrite(index, { seq, state: OtaImageState.NEW });
  }

  markAppValidCancelRollback(): number {
    const active = this.activeIndex();
    if (active === -1) return ESP_FAIL; // "Running firmware is factory"
    const entry = this.otadata[active]!;
    if (entry.state === OtaImageState.VALID) return ESP_OK;
    return this.#rewrite(active, { seq: entry.seq, state: OtaImageState.VALID });
  }

  /** esp_ota_check_rollback_is_possible (no factory partition in this table). */
  rollbackIsPossible(): boolean {
    const active = this.activeIndex();
    if (active === -1) return false;
    const other = this.otadata[1 - active];
    if (!this.#valid(other)) return false;
    return verifyEspImage(this.#flash.otaApps[this.#slotOf(other)].bytes).ok;
  }

  markAppInvalidRollbackAndReboot(): number {
    const active = this.activeIndex();
    if (active === -1) return ESP_FAIL;
    if (!this.rollbackIsPossible()) return ESP_ERR_OTA_ROLLBACK_FAILED;
    const err = this.#rewrite(active, { seq: this.otadata[active]!.seq, state: OtaImageState.INVALID });
    if (err !== ESP_OK) return err;
    this.onRestart();
    return ESP_OK;
  }

  // ---- the bootloader ---------------------------------------------------------------------------

  /** What the second-stage bootloader does at every reset; returns the partition it starts. */
  boot(): FlashPartition {
    this.#handles.clear(); // RAM state of the OTA API
    let active = this.activeIndex();
    while (active !== -1 && this.otadata[active]!.state === OtaImageState.PENDING_VERIFY) {
      this.#rewrite(active, { seq: this.otadata[active]!.seq, state: OtaImageState.ABORTED });
      active = this.activeIndex();
    }
    const apps = this.#flash.otaApps;
    const candidates: FlashPartition[] = [];
    if (active !== -1) candidates.push(apps[this.#slotOf(this.otadata[active]!)]);
    for (const app of apps) if (!candidates.includes(app)) candidates.push(app);
    for (const candidate of candidates) {
      if (!verifyEspImage(candidate.bytes).ok) continue;
      if (active !== -1 && candidate === apps[this.#slotOf(this.otadata[active]!)] && this.otadata[active]!.state === OtaImageState.NEW) {
        this.#rewrite(active, { seq: this.otadata[active]!.seq, state: OtaImageState.PENDING_VERIFY });
      }
      this.running = candidate;
      return candidate;
    }
    throw new Error('no bootable app partition: the device is bricked');
  }

}
