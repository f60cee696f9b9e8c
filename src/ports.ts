// The interfaces the core needs from the outside world. Each runtime provides them: the Moddable
// adapters on the device and in the desktop simulator, the Node adapters on a computer, and fakes in
// the tests. Shapes follow ECMA-419 (callbacks, read()/write() of bytes) so the adapters stay thin.

/** Time in milliseconds, and one-shot timers. */
export interface Clock {
  /**
   * Milliseconds on a clock that never jumps: timers, rates, durations, uptime. On a computer it is
   * the epoch; on the device it counts from boot (it is not the date until the time is known).
   */
  now(): number;
  /**
   * Milliseconds since the Unix epoch, or undefined while the date is not known (the device before
   * SNTP has answered). A clock without it has the epoch in now(). Timestamps in payloads use it.
   */
  epochMs?(): number | undefined;
  setTimer(callback: () => void, delayMs: number): TimerHandle;
  /** Calls `callback` every `intervalMs` until cleared (one timer for a sampling loop, not one per tick). */
  setRepeatingTimer(callback: () => void, intervalMs: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}
export type TimerHandle = { readonly __timer: unique symbol } | object;

export interface TlsOptions {
  /** PEM certificate(s) of the authority that signed the broker's certificate. */
  ca?: string;
  /** Name to verify in the broker's certificate (defaults to the host). */
  serverName?: string;
  /** A client certificate to present (PEM): mutual TLS, for a broker that requires one. */
  certificate?: string;
  /** The client certificate's private key (PEM, PKCS#8; RSA on the device: the SDK's TLS signs with RSA only). */
  key?: string;
}

export interface StreamSocketOptions {
  host: string;
  port: number;
  tls?: TlsOptions;
  /** The first call means the connection is open; `count` bytes may be written now. */
  onWritable(count: number): void;
  /** Bytes arrived: call read() until it returns undefined. */
  onReadable(count: number): void;
  /** The connection failed or closed; the socket is unusable afterwards. */
  onError(message: string): void;
}

/** A TCP (or TLS) byte stream, like ECMA-419's TCP socket. */
export interface StreamSocket {
  /** Next bytes received, or undefined when none are waiting. */
  read(): Uint8Array | undefined;
  /**
   * Sends bytes[0, byteLength). The caller writes no more than the last onWritable count allows.
   * The bytes are copied before write returns: the caller may reuse the buffer. It never throws: a
   * failed send is reported later through onError.
   */
  write(bytes: Uint8Array, byteLength: number): void;
  close(): void;
}

export type StreamSocketFactory = (options: StreamSocketOptions) => StreamSocket;

/** Small persistent key/value storage (Moddable Preference on the device, a JSON file on a computer). */
export interface KeyValueStore {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
  delete(key: string): void;
}

/**
 * A flash data partition, in the shape of the Moddable SDK's `flash` module (modules/files/flash):
 * NOR semantics, so `write` can only turn bits from 1 to 0 and only `erase` (a whole block, to all
 * ones) turns them back. Offsets are bytes from the partition's start. Errors are thrown as the SDK
 * throws them ("read failed", "write failed", "erase failed", "invalid").
 */
export interface FlashArea {
  readonly byteLength: number;
  /** The erase block (a sector: 4096 bytes on the ESP32). */
  readonly blockSize: number;
  erase(sector: number): void;
  read(offset: number, byteLength: number): ArrayBuffer;
  write(offset: number, byteLength: number, buffer: ArrayBuffer | Uint8Array): void;
}

/** Where diagnostics go (trace() on the device, the console on a computer). */
export type Log = (line: string) => void;

/**
 * One I2C device at one address (the ECMA-419 I2C shape, with bytes as Uint8Array). Methods throw
 * an Error whose `code` is "NACK" when the device does not acknowledge and "TIMEOUT" when the bus
 * hangs; drivers turn those into SensorFaults.
 */
export interface I2cDevice {
  /** Reads buffer.length bytes into buffer. */
  read(buffer: Uint8Array): void;
  /** Writes bytes; with `stop` false the bus is kept for a repeated start (a register read). */
  write(bytes: Uint8Array, stop?: boolean): void;
  close(): void;
}

export type I2cOpener = (address: number) => I2cDevice;

/** What a sensor driver needs: the bus, time, and a short blocking delay (conversions, reset). */
export interface SensorIo {
  i2c: I2cOpener;
  clock: Clock;
  /** Blocks for `ms` milliseconds (Timer.delay on the device; a virtual clock in tests). */
  delayMs(ms: number): void;
}

/** The network link under the broker connection (Wi-Fi on the device). */
export interface NetworkLink {
  readonly up: boolean;
  /** Starts connecting (and reconnecting with backoff after a loss). */
  start(): void;
  onChange(listener: (up: boolean, reason: string) => void): void;
}

/** What the node needs from the device itself. */
export interface SystemPort {
  firmwareVersion: string;
  board: string;
  /** Why the device last started: "power-on", "software", "watchdog", "brown-out", "ota" … */
  resetReason: string;
  reboot(): void;
}

/** The firmware slot an update is written to (the ESP32's inactive OTA partition on the device). */
export interface FirmwareSlot {
  readonly capacityBytes: number;
  /** Erases the slot and prepares it for an image of `sizeBytes`. The running image is never touched. */
  begin(sizeBytes: number): void;
  write(offset: number, bytes: Uint8Array): void;
  /** Makes the written image the one to boot next; it boots "pending verification". */
  commit(): void;
  abort(): void;
}

/** The bootloader's view of the running image (ESP-IDF app rollback on the device). */
export interface BootState {
  /** This image booted for the first time after an update and has not confirmed itself yet. */
  readonly pendingVerify: boolean;
  /** The other slot holds an image that booted and was rejected (never confirmed itself, or gave up). */
  readonly otherImageRejected: boolean;
  /** Confirms the running image: no rollback any more. Throws when the bootloader's record cannot be written. */
  markValid(): void;
  /** Gives up on the running image: the previous one boots (the device restarts). */
  rollback(): void;
}

export interface HttpHandlers {
  /** Status, total length of the resource when known, and where a 206 response starts. */
  onResponse(status: number, rangeStart: number): void;
  onData(bytes: Uint8Array): void;
  onEnd(): void;
  /** The connection failed or dropped. */
  onError(message: string): void;
}

/** GET `url` from byte `fromByte` on (a Range request when it is not 0). */
export type HttpGet = (url: string, fromByte: number, handlers: HttpHandlers) => { abort(): void };

/**
 * Checks an ECDSA P-256 signature (r ‖ s, 64 bytes) over SHA-256(message) with an uncompressed public
 * key (65 bytes). Native on the device (the SDK's ecdsa and Digest); the JavaScript P-256 of
 * src/ota/p256.ts elsewhere.
 */
export type SignatureVerifier = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;

/** An incremental SHA-256 (the native digest on the device). */
export interface Hasher {
  update(bytes: Uint8Array): void;
  digest(): Uint8Array;
}
