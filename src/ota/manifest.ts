// The update manifest: what an `ota` command carries. The signature (ECDSA P-256 over SHA-256,
// r ‖ s, base64) covers every other field, serialised canonically (keys sorted, no spaces), so a
// changed size, URL, hash, board, version or rollback flag breaks it. The public key is built into
// the firmware; nothing in the message can choose it.
import type { SignatureVerifier } from '../ports';
import { CodedError } from '../coded-error';
import { decodeBase64 } from './base64';

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
  signature: string;
}

export type OtaErrorCode =
  | 'BAD_MANIFEST'
  | 'BAD_SIGNATURE'
  | 'WRONG_BOARD'
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

const FIELDS = ['version', 'board', 'size', 'sha256', 'url', 'rollback', 'signature'];
const VERSION = /^(\d{1,5})\.(\d{1,5})\.(\d{1,5})$/;

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

/** Everything checked before a single byte is downloaded. Throws OtaError with the reason. */
export function checkManifest(input: unknown, device: DeviceIdentity): UpdateManifest {
  const manifest = parseManifest(input);
  if (!device.verifySignature(device.publicKey, signedBytes(manifest), decodeBase64(manifest.signature)!)) {
    throw new OtaError('BAD_SIGNATURE', 'the manifest signature does not verify with this device\'s update key: refused');
  }
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
