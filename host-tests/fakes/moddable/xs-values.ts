// How the XS C API turns JavaScript values into C values, for the emulators of the Moddable device
// modules: a native module sees its arguments only through these conversions, so an emulator that
// accepts what they refuse would accept calls the device refuses.
//
// Sources (Moddable SDK 8.2.3): xs/sources/xsmc.c (_xsmcGetBuffer, _xsmcGetViewBuffer),
// xs/sources/xsAPI.c (fxToStringBuffer, fxGetHostChunkValidate, fxGetHostDataValidate,
// fxThrowMessage). Messages are those of a release build; a debug build (mxDebug) appends
// " (in <function>)", so adapters must not match whole messages.

/**
 * The bytes behind a buffer argument (xsmcGetBufferReadable / xsmcGetBufferWritable): an
 * ArrayBuffer, a typed array of one-byte elements (Uint8Array, Int8Array, Uint8ClampedArray) or a
 * DataView. Anything else — a string, a number, a Uint16Array — is a TypeError "invalid buffer".
 */
export function bufferBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value; // as is: the emulator allocates nothing the C code does not (the XS allocation tests count)
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (value instanceof DataView) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (ArrayBuffer.isView(value) && (value as Uint8Array).BYTES_PER_ELEMENT === 1) {
    const view = value as Uint8Array;
    return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  }
  throw new TypeError('invalid buffer');
}

/**
 * xsmcToInteger: ToNumber, then a C int (NaN and infinities become 0, the rest truncates to 32 bits);
 * a symbol or a BigInt cannot be coerced (TypeError).
 */
export function toInteger(value: unknown): number {
  if (typeof value === 'symbol') throw new TypeError('cannot coerce symbol to integer');
  if (typeof value === 'bigint') throw new TypeError('cannot coerce to integer');
  return Number(value) | 0;
}

/** xsmcToNumber: ToNumber (a symbol throws, as in XS). */
export function toNumber(value: unknown): number {
  return Number(value);
}

/** xsmcToString: ToString. */
export function toCString(value: unknown): string {
  return String(value);
}

/**
 * Bytes of a string as XS stores it (fxUTF8Encode in xs/sources/xsCommon.c): UTF-8, except that
 * U+0000 is the two bytes C0 80, so a C string never ends early, and a lone surrogate keeps its own
 * three bytes. Node's encoder would do neither.
 */
export function xsUtf8(text: string): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    if (c === 0) bytes.push(0xc0, 0x80);
    else if (c < 0x80) bytes.push(c);
    else if (c < 0x800) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else if (c < 0x10000) bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    else bytes.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return Uint8Array.from(bytes);
}

/**
 * xsmcToStringBuffer(value, buffer, size): the string and its terminating NUL must fit `size` bytes,
 * or RangeError "cannot buffer string".
 */
export function toStringBuffer(value: unknown, size: number): string {
  const text = String(value);
  if (xsUtf8(text).length + 1 > size) throw new RangeError('cannot buffer string');
  return text;
}

/** xsmcHas(object, id): HasProperty; a primitive that cannot become an object is a TypeError. */
export function has(object: unknown, name: string): boolean {
  if (object === undefined || object === null) throw new TypeError(`cannot coerce ${String(object)} to object`);
  return typeof object === 'object' || typeof object === 'function' ? name in object : false;
}

/** fxGetHostChunkValidate on an instance whose chunk was released by close(). */
export function closedHostChunk(): SyntaxError {
  return new SyntaxError('C: xsGetHostChunk: invalid host data');
}

/** fxGetHostDataValidate on an instance whose data was released by close(). */
export function closedHostData(): SyntaxError {
  return new SyntaxError('C: xsGetHostData: invalid host data');
}

/**
 * builtinInitializeFormat(the, kIOFormatBuffer) (modules/io/common/builtinCommon.c): an absent or
 * falsy "format" option means "buffer"; the modules emulated here accept nothing else.
 */
export function formatIsBuffer(options: object): boolean {
  if (!('format' in options)) return true;
  const format = (options as { format?: unknown }).format;
  return !format || String(format) === 'buffer';
}

/**
 * builtinGetPin (builtinGetUnsignedInteger in modules/io/common/builtinCommon.c): undefined is an
 * Error "invalid", a negative number a RangeError "negative".
 */
export function toPin(value: unknown): number {
  if (value === undefined) throw new Error('invalid');
  const pin = toInteger(value);
  if (pin < 0) throw new RangeError('negative');
  return pin;
}
