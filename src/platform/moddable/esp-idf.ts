// The ESP-IDF functions the firmware calls directly, through the FFI class mcconfig generates from the
// "ffi" section of manifest.json. On the ESP32 they are ESP-IDF itself; in the desktop simulator
// boards/sim/esp-idf-sim.c implements the same functions over files (slots, a boot record), so this
// module and everything above it is the same code on both.
//
// esp_ota_get_running_partition() and esp_ota_get_next_update_partition() return a
// `const esp_partition_t*`, which the FFI carries as a uint32_t: ESP32 pointers are 32 bits, and
// the value only ever goes back into esp_ota_get_state_partition().
import FFI from "mc/ffi";

const ESP_OK = 0;
/** esp_ota_img_states_t */
const ESP_OTA_IMG_PENDING_VERIFY = 1;
const ESP_OTA_IMG_INVALID = 3;
const ESP_OTA_IMG_ABORTED = 4;

/** esp_reset_reason_t, in the words `info` reports. */
const RESET_REASONS = [
  "unknown", "power-on", "external", "software", "panic", "interrupt-watchdog", "task-watchdog", "watchdog",
  "deep-sleep", "brown-out", "sdio", "usb", "jtag", "efuse", "power-glitch", "cpu-lockup",
];

let natives: FFI | undefined;
const ffi = () => (natives ??= new FFI());
const stateCell = new Uint32Array(1);

/** The image state ESP-IDF's otadata records for a partition, or undefined when it has none. */
function imageState(partition: number): number | undefined {
  return ffi().esp_ota_get_state_partition(partition, stateCell.buffer as ArrayBuffer) === ESP_OK ? stateCell[0] : undefined;
}

/** The running image booted for the first time after an update and has not confirmed itself. */
export function runningImagePendingVerify(): boolean {
  return imageState(ffi().esp_ota_get_running_partition()) === ESP_OTA_IMG_PENDING_VERIFY;
}

/** The other slot's image was rejected: it booted and never confirmed itself, or gave up on itself. */
export function otherImageRejected(): boolean {
  const state = imageState(ffi().esp_ota_get_next_update_partition(0));
  return state === ESP_OTA_IMG_ABORTED || state === ESP_OTA_IMG_INVALID;
}

/** Confirms the running image (no rollback any more); throws with ESP-IDF's error code. */
export function confirmRunningImage(): void {
  const err = ffi().esp_ota_mark_app_valid_cancel_rollback();
  if (err !== ESP_OK) throw new Error(`esp_ota_mark_app_valid_cancel_rollback failed (0x${err.toString(16)})`);
}

/**
 * Gives up on the running image. ESP-IDF marks it invalid and restarts into the previous one, but
 * only when otadata records that one as valid; on a device whose first image was flashed by cable it
 * does not and returns ESP_ERR_OTA_ROLLBACK_FAILED without restarting. Then we restart ourselves: the
 * bootloader aborts an image that is still pending verification at any reset and boots the other.
 */
export function rollBackAndRestart(log: (line: string) => void): void {
  const err = ffi().esp_ota_mark_app_invalid_rollback_and_reboot();
  log(`ota: esp_ota_mark_app_invalid_rollback_and_reboot returned 0x${err.toString(16)}; restarting so the bootloader rolls back`);
  ffi().esp_restart();
}

/** Why the device last started (esp_reset_reason). */
export function resetReason(): string {
  const code = ffi().esp_reset_reason();
  return RESET_REASONS[code] ?? `reset-${code}`;
}

export function restart(): void {
  ffi().esp_restart();
}
