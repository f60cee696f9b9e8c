// UTF-8 for MQTT strings, written out because the core has no TextEncoder on XS hosts and because
// MQTT adds rules of its own: well-formed UTF-8 only (no surrogates, no overlong forms) and no U+0000
// [MQTT-1.5.3-1, MQTT-1.5.3-2]. Encoding writes straight into the caller's buffer: no allocation.
import { ProtocolError } from './errors';

/** Bytes needed to encode `text` as UTF-8; -1 when it holds a lone surrogate (not encodable). */
export function utf8Length(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) length += 1;
    else if (unit < 0x800) length += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return -1;
      length += 4;
      i++;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) return -1;
    else length += 3;
  }
  return length;
}

/** Writes `text` as UTF-8 at `offset`; returns the offset after it. The caller checked utf8Length. */
export function writeUtf8(text: string, target: Uint8Array, offset: number): number {
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code < 0x80) {
      target[offset++] = code;
    } else if (code < 0x800) {
      target[offset++] = 0xc0 | (code >> 6);
      target[offset++] = 0x80 | (code & 0x3f);
    } else if (code >= 0xd800 && code <= 0xdbff) {
      code = 0x10000 + ((code - 0xd800) << 10) + (text.charCodeAt(++i) - 0xdc00);
      target[offset++] = 0xf0 | (code >> 18);
      target[offset++] = 0x80 | ((code >> 12) & 0x3f);
      target[offset++] = 0x80 | ((code >> 6) & 0x3f);
      target[offset++] = 0x80 | (code & 0x3f);
    } else {
      target[offset++] = 0xe0 | (code >> 12);
      target[offset++] = 0x80 | ((code >> 6) & 0x3f);
      target[offset++] = 0x80 | (code & 0x3f);
    }
  }
  return offset;
}

function malformed(what: string): ProtocolError {
  return new ProtocolError('MALFORMED_UTF8', 'MQTT-1.5.3-1', `${what} is not well-formed UTF-8`);
}

/**
 * Decodes `length` bytes at `offset` as an MQTT UTF-8 string. `what` names the field for the error.
 * Rejects ill-formed sequences, encoded surrogates, overlong forms and U+0000.
 */
export function readUtf8(source: Uint8Array, offset: number, length: number, what: string): string {
  const end = offset + length;
  // Pure ASCII is by far the common case (topics): decode it in one pass without building pieces.
  let ascii = true;
  for (let i = offset; i < end; i++) {
    const byte = source[i];
    if (byte === 0) throw new ProtocolError('NULL_CHARACTER', 'MQTT-1.5.3-2', `${what} contains U+0000`);
    if (byte >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return asciiString(source, offset, end);
  let text = '';
  let i = offset;
  while (i < end) {
    const byte = source[i++];
    let code: number;
    if (byte < 0x80) {
      if (byte === 0) throw new ProtocolError('NULL_CHARACTER', 'MQTT-1.5.3-2', `${what} contains U+0000`);
      code = byte;
    } else if (byte >= 0xc2 && byte <= 0xdf) {
      if (i >= end) throw malformed(what);
      code = ((byte & 0x1f) << 6) | continuation(source[i++], what);
    } else if (byte >= 0xe0 && byte <= 0xef) {
      if (i + 1 >= end) throw malformed(what);
      const second = source[i++];
      // E0 needs A0..BF (no overlong forms); ED needs 80..9F (no UTF-16 surrogates).
      if ((byte === 0xe0 && second < 0xa0) || (byte === 0xed && second > 0x9f)) throw malformed(what);
      code = ((byte & 0x0f) << 12) | (continuation(second, what) << 6) | continuation(source[i++], what);
    } else if (byte >= 0xf0 && byte <= 0xf4) {
      if (i + 2 >= end) throw malformed(what);
      const second = source[i++];
      if ((byte === 0xf0 && second < 0x90) || (byte === 0xf4 && second > 0x8f)) throw malformed(what);
      code =
        ((byte & 0x07) << 18) |
        (continuation(second, what) << 12) |
        (continuation(source[i++], what) << 6) |
        continuation(source[i++], what);
    } else {
      throw malformed(what);
    }
    text += String.fromCodePoint(code);
  }
  return text;
}

const ASCII_CHUNK = 1024; // arguments per fromCharCode call, well inside any engine's limit

function asciiString(source: Uint8Array, start: number, end: number): string {
  if (end - start <= ASCII_CHUNK) return String.fromCharCode.apply(null, source.subarray(start, end) as unknown as number[]);
  let text = '';
  for (let at = start; at < end; at += ASCII_CHUNK) {
    text += String.fromCharCode.apply(null, source.subarray(at, Math.min(end, at + ASCII_CHUNK)) as unknown as number[]);
  }
  return text;
}

function continuation(byte: number, what: string): number {
  if ((byte & 0xc0) !== 0x80) throw malformed(what);
  return byte & 0x3f;
}

type Encoder = (text: string) => Uint8Array;

/**
 * The engine's own UTF-8 encoder when it has one: ArrayBuffer.fromString on Moddable's XS,
 * TextEncoder on Node and xsnap. Walking a string in JavaScript costs an allocation per character
 * on XS (each charCodeAt wraps the string), so payloads go through the native path.
 */
const nativeEncoder: Encoder | undefined = (() => {
  const fromString = (ArrayBuffer as unknown as { fromString?: (text: string) => ArrayBuffer }).fromString;
  if (typeof fromString === 'function') return (text: string) => new Uint8Array(fromString.call(ArrayBuffer, text));
  const TextEncoderClass = (globalThis as unknown as { TextEncoder?: new () => { encode(text: string): Uint8Array } }).TextEncoder;
  if (typeof TextEncoderClass === 'function') {
    const encoder = new TextEncoderClass();
    return (text: string) => encoder.encode(text);
  }
  return undefined;
})();

/** Encodes a payload string as UTF-8 into a new buffer (a lone surrogate becomes U+FFFD). */
export function encodeUtf8(text: string): Uint8Array {
  if (nativeEncoder) return nativeEncoder(text);
  const length = utf8Length(text);
  const safe = length < 0 ? text.replace(/[\ud800-\udfff]/g, (c, i: number) => (isPaired(text, i) ? c : '\ufffd')) : text;
  const bytes = new Uint8Array(utf8Length(safe));
  writeUtf8(safe, bytes, 0);
  return bytes;
}

function isPaired(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c <= 0xdbff ? (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00 : (text.charCodeAt(i - 1) & 0xfc00) === 0xd800;
}
