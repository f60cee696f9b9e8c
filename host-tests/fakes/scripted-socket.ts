// A socket port whose far end is the test: what the client writes is dropped (the test already
// knows), and the test delivers the broker's side. Core-compatible (runs on XS too).
import type { StreamSocket, StreamSocketFactory, StreamSocketOptions } from '../../src/ports';

export class ScriptedSocket implements StreamSocket {
  readonly options: StreamSocketOptions;
  #inbox: Uint8Array[] = [];
  constructor(options: StreamSocketOptions) {
    this.options = options;
  }
  read(): Uint8Array | undefined {
    return this.#inbox.shift();
  }
  write(): void {}
  close(): void {}
  /** The far end sends bytes. */
  deliver(bytes: Uint8Array): void {
    this.#inbox.push(bytes);
    this.options.onReadable(bytes.length);
  }
}

export class ScriptedNetwork {
  sockets: ScriptedSocket[] = [];
  readonly factory: StreamSocketFactory = (options) => {
    const socket = new ScriptedSocket(options);
    this.sockets.push(socket);
    return socket;
  };
  get last(): ScriptedSocket {
    return this.sockets[this.sockets.length - 1];
  }
}
