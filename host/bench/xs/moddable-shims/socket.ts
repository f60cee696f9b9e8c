// Stand-in for Moddable's `socket` module (modules/network/socket), only as far as the SDK's MQTT
// client uses it: `new Socket({host, port})`, a `callback(message, value)` property the socket calls
// (1 connected, 2 data received, 3 ready to send), `read(ArrayBuffer)` and `write(buffer)`.
// Like our client's benchmark socket, write drops the bytes: only the client's own work is measured.
type Callback = (message: number, value?: number) => void;

export class Socket {
  callback: Callback = () => {};
  readonly #inbox: ArrayBuffer[] = [];
  constructor(readonly dictionary: { host: string; port: number }) {}
  /** Like the SDK's read(ArrayBuffer): every byte waiting, as one buffer. */
  read(type: unknown): ArrayBuffer | undefined {
    if (type !== ArrayBuffer) throw new Error('this stand-in reads ArrayBuffers only');
    return this.#inbox.shift();
  }
  write(...buffers: (ArrayBuffer | string | number)[]): number {
    for (const buffer of buffers) {
      if (!(buffer instanceof ArrayBuffer) && typeof buffer !== 'string' && typeof buffer !== 'number') throw new Error('socket.write: invalid argument');
    }
    return 1 << 20; // bytes still writable: plenty
  }
  close(): void {}
  /** The far end sends bytes: the socket tells the client (message 2, byte count). */
  deliver(bytes: Uint8Array): void {
    this.#inbox.push(bytes.slice().buffer);
    this.callback(2, bytes.length);
  }
}

export default Socket;
