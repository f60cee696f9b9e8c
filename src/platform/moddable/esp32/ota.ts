// Over-the-air updates on the ESP32: the image streams into the inactive OTA partition through
// ECMA-419's embedded:update (esp_ota_begin/write/end/set_boot_partition underneath), hashed by the
// native SHA-256, fetched with Moddable's HTTP client (plain HTTP; serve images on the crew's
// network). Confirmation and rollback go to ESP-IDF's app rollback through FFI
// (CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE in boards/esp32/sdkconfig): a new image that never confirms
// itself is rolled back by the bootloader, even if it cannot run any of this code.
import Update from "embedded:update";
import flash from "embedded:storage/flash";
import FFI from "mc/ffi";
import { Digest } from "crypt";
import { Request } from "http";
import Timer from "timer";
import type { BootState, Clock, FirmwareSlot, Hasher, HttpGet, KeyValueStore, Log } from "ports";
import { Updater } from "ota/updater";

const natives = new FFI();

interface OtaWriter {
  write(buffer: ArrayBuffer | Uint8Array, byteOffset?: number): void;
  complete(): void;
  close(): void;
}

function partitionSlot(capacityBytes: number): FirmwareSlot {
  let writer: OtaWriter | undefined;
  return {
    capacityBytes,
    begin(sizeBytes) {
      writer?.close();
      writer = Update.open({ partition: flash.open({ path: "nextota" }), byteLength: sizeBytes }) as OtaWriter;
    },
    write(offset, bytes) {
      writer!.write(bytes, offset);
    },
    commit() {
      writer!.complete(); // esp_ota_end (checks the image) + esp_ota_set_boot_partition
      writer!.close();
      writer = undefined;
    },
    abort() {
      writer?.close(); // esp_ota_abort: the partition is not bootable
      writer = undefined;
    },
  };
}

/** pendingVerify comes from the updater's own record; ESP-IDF keeps the authoritative state. */
function appRollback(store: KeyValueStore, currentVersion: string): BootState {
  return {
    get pendingVerify() {
      const pending = store.get("ota-pending");
      return pending !== undefined && (JSON.parse(pending) as { version: string }).version === currentVersion;
    },
    markValid: () => void natives.esp_ota_mark_app_valid_cancel_rollback(),
    rollback: () => void natives.esp_ota_mark_app_invalid_rollback_and_reboot(),
  };
}

const httpGet: HttpGet = (url, fromByte, handlers) => {
  const match = /^http:\/\/([^/:]+)(?::(\d+))?(\/.*)?$/.exec(url);
  if (!match) {
    Timer.set(() => handlers.onError(`only http:// image URLs are supported on the device, not ${url}`));
    return { abort() {} };
  }
  let status = 0;
  let rangeStart = 0;
  let aborted = false;
  const request = new Request({
    host: match[1],
    port: match[2] ? Number(match[2]) : 80,
    path: match[3] ?? "/",
    headers: fromByte > 0 ? ["Range", `bytes=${fromByte}-`] : [],
  });
  request.callback = function (this: { read(type: typeof ArrayBuffer, count: number): ArrayBuffer }, message: number, value: unknown, extra: unknown) {
    if (aborted) return;
    if (message === Request.status) status = value as number;
    else if (message === Request.header && value === "content-range") rangeStart = Number(/^bytes (\d+)-/.exec(String(extra))?.[1] ?? 0);
    else if (message === Request.headersComplete) handlers.onResponse(status, rangeStart);
    else if (message === Request.responseFragment) handlers.onData(new Uint8Array(this.read(ArrayBuffer, value as number)));
    else if (message === Request.responseComplete) handlers.onEnd();
    else if (message < 0) handlers.onError(`HTTP request failed (${message})`);
  };
  return {
    abort() {
      aborted = true;
      (request as unknown as { close(): void }).close();
    },
  };
};

function nativeSha256(): Hasher {
  const digest = new Digest("SHA256");
  return {
    // The native digest takes ArrayBuffers: hand over the chunk's own buffer when it is exactly that.
    update: (bytes) =>
      digest.write(bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? (bytes.buffer as ArrayBuffer) : bytes.slice().buffer),
    digest: () => new Uint8Array(digest.close() as ArrayBuffer),
  };
}

export interface OtaConfig {
  otaPublicKey?: string;
  otaPartitionBytes?: number;
}

/** The updater for this board, or undefined when no update key is built in (updates refused). */
export function createUpdater(
  config: OtaConfig,
  ports: { board: string; currentVersion: string; clock: Clock; store: KeyValueStore; reboot: () => void; log: Log },
): Updater | undefined {
  if (!config.otaPublicKey) return undefined;
  const key = config.otaPublicKey;
  const publicKey = new Uint8Array(key.length / 2);
  for (let i = 0; i < publicKey.length; i++) publicKey[i] = parseInt(key.slice(i * 2, i * 2 + 2), 16);
  const partitionBytes = Number(config.otaPartitionBytes ?? 0x170000);
  return new Updater({
    device: { publicKey, board: ports.board, currentVersion: ports.currentVersion, partitionBytes },
    slot: partitionSlot(partitionBytes),
    boot: appRollback(ports.store, ports.currentVersion),
    http: httpGet,
    clock: ports.clock,
    store: ports.store,
    reboot: ports.reboot,
    createHasher: nativeSha256,
    log: ports.log,
  });
}
