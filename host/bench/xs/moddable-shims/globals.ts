// What Moddable's XS adds to the standard built-ins and the SDK's MQTT client uses, on xsnap:
// ArrayBuffer.fromString and String.fromArrayBuffer (native UTF-8 conversions on the device; here
// the engine's native TextEncoder/TextDecoder do the same work), and trace().
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const moddable = globalThis as unknown as {
  trace?: (...parts: unknown[]) => void;
};
const arrayBuffer = ArrayBuffer as unknown as { fromString?: (text: string) => ArrayBuffer };
const string = String as unknown as { fromArrayBuffer?: (buffer: ArrayBuffer) => string };

arrayBuffer.fromString ??= (text) => encoder.encode(text).buffer as ArrayBuffer;
string.fromArrayBuffer ??= (buffer) => decoder.decode(new Uint8Array(buffer));
moddable.trace ??= () => {};
