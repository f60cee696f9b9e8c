// The update manifest: what an `ota` command carries. The signature (ECDSA P-256 over SHA-256,
// r ‖ s, base64) covers every other field, serialised canonically (keys sorted, no spaces), so a
// changed size, URL, hash, board, version, rollback flag, target device, expiry or counter breaks it.
// The public key is built into the firmware; nothing in the message can choose it.
//
// A signed manifest cannot be replayed (the policy, in one place):
// - it names its target, `device`: one device id, or "*" for the whole fleet (the operator signs
//   that deliberately: `npm run ota -- sign --fleet`); any other device refuses it;
// - it carries `expires`, a UTC time; a device refuses it from that time on. A device whose clock
//   is not set yet (no time from the network) cannot tell, and refuses it too: an unknown clock
//   never makes an old manifest acceptable;
// - it carries `counter`, a number that grows with every manifest signed. The device records the
//   counter of the manifest it accepts before the download starts, and refuses any manifest whose
//   counter is lower, even a signed rollback: an old manifest stays old. The same counter passes
//   only for the very same manifest (same signature), so an interrupted update can be sent again;
//   once it is installed, the version check refuses it.
import type { SignatureVerifier } from '../ports';
import { CodedError } from '../coded-error';
import { decodeBase64 } from './base64';
import { isDeviceId } from '../app/topics';

export interface UpdateManifest {
  /** Semantic version x.y.z of the new image. */
  version: string;
  board: string;
  /** Image size in bytes. */
  size: number;
  /** SHA-256 of the image, 64 hex digits. */
  sha256: string;
  /** http:// or https:// address of the image; the server must honour Range requests to resume. */
  url: string;
  /** A deliberate downgrade (signed like the rest). */
  rollback?: boolean;
  /** The device id this update is for, or "*" for every device of the fleet. */
  device: string;
  /** When the manifest stops being valid: UTC, "YYYY-MM-DDTHH:MM:SSZ". */
  expires: string;
  /** Grows with every manifest signed (a whole number, at least 1). */
  counter: number;
  signature: string;
}

/** What the device remembers of the last manifest it accepted (persisted before the download). */
export interface AcceptedManifest {
  counter: number;
  signature: string;
}

/** Where and when the device checks a manifest. */
export interface ManifestContext {
  /** The id this device answers to (the first level of its topics). */
  deviceId: string;
  /** The date, ms since the Unix epoch; null while the device does not know it (SNTP has not answered). */
  nowMs: number | null;
  /** The last manifest accepted, if any. */
  last?: AcceptedManifest;
}

export type OtaErrorCode =
  | 'BAD_MANIFEST'
  | 'BAD_SIGNATURE'
  | 'WRONG_BOARD'
  | 'WRONG_DEVICE'
  | 'EXPIRED'
  | 'CLOCK_NOT_SET'
  | 'REPLAYED'
  | 'NOT_NEWER'
  | 'TOO_LARGE'
  | 'BUSY'
  | 'DOWNLOAD_FAILED'
  | 'SIZE_MISMATCH'
  | 'HASH_MISMATCH'
  | 'FLASH_FAILED'
  | 'SELF_TEST_FAILED';

export class OtaError extends CodedError<OtaErrorCode> {
  constructor(code: OtaErrorCode, message: string) {
    super('OtaError', code, message);
  }
}

const FIELDS = ['version', 'board', 'size', 'sha256', 'url', 'rollback', 'device', 'expires', 'counter', 'signature'];
const VERSION = /^(\d{1,5})\.(\d{1,5})\.(\d{1,5})$/;
const UTC_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

/** Milliseconds since the epoch of a "YYYY-MM-DDTHH:MM:SSZ" time, or NaN when it is not one. */
export function utcTimeMs(text: string): number {
  const m = UTC_TIME.exec(text);
  if (!m) return NaN;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]));
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 2026-02-30 over into March: a date that does not exist is not a time.
  const back = new Date(ms);
  return back.getUTCMonth() === month - 1 && back.getUTCDate() === day && hour < 24 && minute < 60 && second < 60 ? ms : NaN;
}

/** A time in the manifest's format (for messages and the signing tool). */
export function utcTimeText(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** Checks the manifest's shape; throws BAD_MANIFEST naming every problem. */
export function parseManifest(input: unknown): UpdateManifest {
  const problems: string[] = [];
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new OtaError('BAD_MANIFEST', 'the update manifest must be a JSON object');
  const m = input as Record<string, unknown>;
  for (const key of Object.keys(m)) if (!FIELDS.includes(key)) problems.push(`unknown field "${key}"`);
  if (typeof m.version !== 'string' || !VERSION.test(m.version)) problems.push('"version" must be x.y.z');
  if (typeof m.board !== 'string' || m.board === '') problems.push('"board" must name a board');
  if (typeof m.size !== 'number' || !Number.isInteger(m.size) || m.size <= 0) problems.push('"size" must be a positive whole number of bytes');
  if (typeof m.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(m.sha256)) problems.push('"sha256" must be 64 lowercase hex digits');
  if (typeof m.url !== 'string' || !/^https?:\/\/[^\s/]+/.test(m.url)) problems.push('"url" must be an http:// or https:// address');
  if (m.rollback !== undefined && typeof m.rollback !== 'boolean') problems.push('"rollback" must be true or false');
  if (typeof m.device !== 'string' || (m.device !== '*' && !isDeviceId(m.device))) problems.push('"device" must be a device id, or "*" for the whole fleet');
  if (typeof m.expires !== 'string' || Number.isNaN(utcTimeMs(m.expires))) problems.push('"expires" must be a UTC time, YYYY-MM-DDTHH:MM:SSZ');
  if (typeof m.counter !== 'number' || !Number.isSafeInteger(m.counter) || m.counter < 1) problems.push('"counter" must be a whole number, at least 1');
  if (typeof m.signature !== 'string' || decodeBase64(m.signature)?.length !== 64) problems.push('"signature" must be 64 bytes in base64 (ECDSA P-256 r ‖ s)');
  if (problems.length) throw new OtaError('BAD_MANIFEST', `invalid update manifest: ${problems.join('; ')}`);
  return m as unknown as UpdateManifest;
}

/** The bytes the signature covers: every field but the signature, keys sorted, compact JSON. */
export function signedBytes(manifest: Omit<UpdateManifest, 'signature'> & { signature?: string }): Uint8Array {
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(manifest).sort()) if (key !== 'signature') fields[key] = (manifest as unknown as Record<string, unknown>)[key];
  const text = JSON.stringify(fields);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7e) throw new OtaError('BAD_MANIFEST', 'the update manifest must be plain ASCII');
    bytes[i] = c;
  }
  return bytes;
}

export function compareVersions(a: string, b: string): number {
  const pa = VERSION.exec(a)!;
  const pb = VERSION.exec(b)!;
  for (let i = 1; i <= 3; i++) if (Number(pa[i]) !== Number(pb[i])) return Number(pa[i]) - Number(pb[i]);
  return 0;
}

export interface DeviceIdentity {
  /** Uncompressed P-256 public key (65 bytes) built into the firmware. */
  publicKey: Uint8Array;
  board: string;
  currentVersion: string;
  /** Size of the OTA slot the image is written to. */
  partitionBytes: number;
  /** ECDSA P-256 over SHA-256: native on the device, src/ota/p256.ts elsewhere. */
  verifySignature: SignatureVerifier;
}

/** Target, expiry and counter (see the top of this file): throws OtaError with the reason. */
function checkNotReplayed(manifest: UpdateManifest, context: ManifestContext): void {
  if (manifest.device !== '*' && manifest.device !== context.deviceId) {
    throw new OtaError('WRONG_DEVICE', `the manifest is for device "${manifest.device}"; this is "${context.deviceId}"`);
  }
  if (context.nowMs === null) {
    throw new OtaError('CLOCK_NOT_SET', 'the device clock is not set yet (no network time), so the manifest\'s expiry cannot be checked: refused; send it again once the clock is set');
  }
  if (context.nowMs >= utcTimeMs(manifest.expires)) {
    throw new OtaError('EXPIRED', `the manifest expired at ${manifest.expires}; the device time is ${utcTimeText(context.nowMs)}`);
  }
  const last = context.last;
  if (last && manifest.counter < last.counter) {
    throw new OtaError('REPLAYED', `the manifest's counter ${manifest.counter} is below ${last.counter}, the last update this device accepted: an old manifest is refused, even a signed rollback`);
  }
  if (last && manifest.counter === last.counter && manifest.signature !== last.signature) {
    throw new OtaError('REPLAYED', `counter ${manifest.counter} belongs to another manifest this device already accepted: sign a new one`);
  }
}

/** Everything checked before a single byte is downloaded. Throws OtaError with the reason. */
export function checkManifest(input: unknown, device: DeviceIdentity, context: ManifestContext): UpdateManifest {
  const manifest = parseManifest(input);
  if (!device.verifySignature(device.publicKey, signedBytes(manifest), decodeBase64(manifest.signature)!)) {
    throw new OtaError('BAD_SIGNATURE', 'the manifest signature does not verify with this device\'s update key: refused');
  }
  checkNotReplayed(manifest, context);
  if (manifest.board !== device.board) {
    throw new OtaError('WRONG_BOARD', `the image is for board "${manifest.board}"; this device is "${device.board}"`);
  }
  const order = compareVersions(manifest.version, device.currentVersion);
  if (order === 0 || (order < 0 && !manifest.rollback)) {
    throw new OtaError('NOT_NEWER', `version ${manifest.version} is not newer than the running ${device.currentVersion} (a downgrade needs "rollback": true in the signed manifest)`);
  }
  if (manifest.size > device.partitionBytes) {
    throw new OtaError('TOO_LARGE', `the image is ${manifest.size} bytes; the update partition holds ${device.partitionBytes}`);
  }
  return manifest;
}
