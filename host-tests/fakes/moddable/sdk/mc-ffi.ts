// Emulator of `mc/ffi`, the class mcconfig generates from the "ffi" section of the manifests
// (tools/ffi.js): one method per declared ESP-IDF function, with the generated argument conversions
// (an "uint32_t" argument goes through ToUint32; an "uint32_t[1]" argument must be an ArrayBuffer of
// at least 4 bytes, else TypeError "not an ArrayBuffer instance" / RangeError "invalid buffer size"),
// calling the emulated ESP-IDF of the installed device.
//
// The functions (declared in manifest.json, implemented by ESP-IDF on the device and by
// boards/sim/esp-idf-sim.c in the simulator):
//   esp_ota_get_running_partition() → const esp_partition_t*, carried as a uint32_t (ESP32 pointers
//     are 32 bits); esp_ota_get_state_partition(partition, state[1]) → esp_err_t, writes
//     esp_ota_img_states_t; esp_ota_mark_app_valid_cancel_rollback(), esp_ota_mark_app_invalid_
//     rollback_and_reboot() → esp_err_t; esp_reset_reason() → esp_reset_reason_t; esp_restart().
import { currentDevice } from '../esp32-device';
import type { FlashPartition } from '../esp-flash';

/** A stand-in for the address of a partition record in flash (the emulator's "pointer"). */
const POINTER_BASE = 0x3f000000;

function partitionAt(pointer: number): FlashPartition {
  const partition = currentDevice().flash.partitions.find((p) => POINTER_BASE + p.offset === pointer);
  if (!partition) throw new Error(`emulator: 0x${pointer.toString(16)} is not an esp_partition_t pointer (the device would crash)`);
  return partition;
}

function uint32Cell(value: unknown): DataView {
  if (!(value instanceof ArrayBuffer)) throw new TypeError('not an ArrayBuffer instance');
  if (value.byteLength < 4) throw new RangeError(`invalid buffer size ${value.byteLength}`);
  return new DataView(value);
}

export default class FFI {
  esp_ota_get_running_partition(): number {
    return POINTER_BASE + currentDevice().ota.getRunningPartition().offset;
  }

  esp_ota_get_next_update_partition(startFrom: unknown): number {
    const ota = currentDevice().ota;
    if (Number(startFrom) >>> 0) throw new Error('emulator: esp_ota_get_next_update_partition is modelled for NULL (the running partition) only');
    return POINTER_BASE + ota.getNextUpdatePartition().offset;
  }

  esp_ota_get_state_partition(partition: unknown, state: unknown): number {
    const cell = uint32Cell(state);
    const result = currentDevice().ota.getStatePartition(partitionAt(Number(partition) >>> 0));
    if (result.state !== undefined) cell.setUint32(0, result.state, true);
    return result.err;
  }

  esp_ota_mark_app_valid_cancel_rollback(): number {
    return currentDevice().ota.markAppValidCancelRollback();
  }

  esp_ota_mark_app_invalid_rollback_and_reboot(): number {
    return currentDevice().ota.markAppInvalidRollbackAndReboot();
  }

  esp_reset_reason(): number {
    return currentDevice().resetReason;
  }

  /** Never returns on the device; here the reset is recorded and the test carries it out. */
  esp_restart(): void {
    currentDevice().requestRestart();
  }
}
