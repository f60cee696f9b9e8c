// Over-the-air updates on the Moddable runtime: the image streams into the inactive OTA slot through
// ECMA-419's embedded:update, hashed by the native SHA-256, fetched with Moddable's HTTP client (plain
// HTTP; serve images on the crew's network). The image state (pending verification, confirmed,
// rolled back) is ESP-IDF's own, read and changed through esp-idf.ts. On the ESP32 all of this is
// ESP-IDF (esp_ota_*, app rollback: CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE in boards/esp32/sdkconfig);
// in the desktop simulator boards/sim implements the same module and functions over files, so this
// file runs unchanged on both.
//
// How embedded:update behaves (modules/io/update/esp32/update-esp32.c) decides the details:
// - mode "w": the default append mode refuses every write (its JavaScript wrapper always passes an
//   offset, and append mode throws "offset not allowed" for one); "w" writes at offsets and erases
//   the image's sectors once, when the update is opened.
// - nothing is erased after that, and NOR flash only clears bits: a download that starts over from
//   byte 0 (a server that ignores Range) must open the update again, which erases again.
// - complete() verifies the image (esp_ota_end) and makes it the one to boot; it boots "pending
//   verification" and must confirm itself, or the bootloader returns to the previous image.
import Update from "embedded:update";
import flash from "embedded:storage/flash";
import { Digest } from "crypt";
import { Request } from "http";
import Timer from "timer";
import type { BootState, Clock, FirmwareSlot, Hasher, HttpGet, KeyValueStore, Log, SignatureVerifier } from "ports";
import { Updater } from "ota/updater";
import { confirmRunningImage, otherImageRejected, rollBackAndRestart, runningImagePendingVerify } from "platform/moddable/esp-idf";

interface UpdateWriter {
  write(buffer: ArrayBufferView | ArrayBuffer, byteOffset: number): void;
  complete(): void;
  close(): void;
}

/** The inactive OTA slot ("nextota") as the updater's FirmwareSlot. */
export function partitionSlot(capacityBytes: number): FirmwareSlot {
  let writer: UpdateWriter | undefined;
  let sizeBytes = 0;
  /** Bytes from 0 up to here are written; flash past it is still erased. */
  let end = 0;
  const open = () => {
    writer?.close();
    writer = undefined;
    writer = Update.open({ partition: flash.open({ path: "nextota" }), byteLength: sizeBytes, mode: "w" }) as UpdateWriter;
    end = 0;
  };
  return {
    capacityBytes,
    begin(size) {
      sizeBytes = size;
      open(); // esp_ota_begin erases ⌈size / 4 KB⌉ sectors of the slot
    },
    write(offset, bytes) {
      if (!writer) throw new Error("no update is open");
      if (offset === 0 && end > 0) open(); // starting over: the written sectors must be erased again
      else if (offset !== end) throw new Error(`write at byte ${offset}, but the slot is written up to byte ${end}: flash cannot be rewritten without erasing`);
      writer.write(bytes, offset);
      end = offset + bytes.length;
    },
    commit() {
      const current = writer;
      writer = undefined;
      if (!current) throw new Error("no update is open");
      try {
        current.complete(); // esp_ota_end (verifies the image) + esp_ota_set_boot_partition
      } finally {
        current.close();
      }
    },
    abort() {
      writer?.close(); // esp_ota_abort: the slot is not bootable
      writer = undefined;
    },
  };
}

/** The running image's state as ESP-IDF's otadata records it. */
export function imageBootState(log: Log): BootState {
  return {
    get pendingVerify() {
      return runningImagePendingVerify();
    },
    get otherImageRejected() {
      return otherImageRejected();
    },
    markValid: () => confirmRunningImage(),
    rollback: () => rollBackAndRestart(log),
  };
}

export const httpGet: HttpGet = (url, fromByte, handlers) => {
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

/** SHA-256 by the SDK's native digest (KCL), which takes byte views directly: no copy per chunk. */
export function nativeSha256(): Hasher {
  const digest = new Digest("SHA256");
  return {
    update: (bytes) => digest.write(bytes as unknown as ArrayBuffer), // typed as ArrayBuffer; byte views are taken as they are
    digest: () => new Uint8Array(digest.close()),
  };
}

export interface OtaConfig {
  otaPublicKey?: string;
  otaPartitionBytes?: number;
  otaSelfTestS?: number;
}

/** The updater for this build, or undefined when no update key is built in (updates refused). */
export function createUpdater(
  config: OtaConfig,
  ports: { board: string; currentVersion: string; clock: Clock; store: KeyValueStore; reboot: () => void; log: Log; verifySignature: SignatureVerifier },
): Updater | undefined {
  if (!config.otaPublicKey) return undefined;
  const key = config.otaPublicKey;
  const publicKey = new Uint8Array(key.length / 2);
  for (let i = 0; i < publicKey.length; i++) publicKey[i] = parseInt(key.slice(i * 2, i * 2 + 2), 16);
  const partitionBytes = Number(config.otaPartitionBytes ?? 0x1e0000);
  return new Updater({
    device: { publicKey, board: ports.board, currentVersion: ports.currentVersion, partitionBytes, verifySignature: ports.verifySignature },
    slot: partitionSlot(partitionBytes),
    boot: imageBootState(ports.log),
    http: httpGet,
    clock: ports.clock,
    store: ports.store,
    reboot: ports.reboot,
    createHasher: nativeSha256,
    selfTestMs: config.otaSelfTestS === undefined ? undefined : Number(config.otaSelfTestS) * 1000,
    log: ports.log,
  });
}
