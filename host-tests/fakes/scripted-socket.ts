// A socket port whose far end is the test: it records what the client writes and lets the test
// answer. Core-compatible (runs on XS too). `autoAck` makes it act as a minimal broker for
// CONNECT and QoS 1/2 publishes, for steady-state measurements.
import type { StreamSocket, StreamSocketFactory, StreamSocketOptions } from '../../src/ports';

export class ScriptedSocket implements StreamSocket {
  readonly options: StreamSocketOptions;
  written = 0;
  writes = 0;
  closed = false;
  #inbox: Uint8Array[] = [];
  constructor(options: StreamSocketOptions) {
    this.options = options;
  }
  read(): Uint8Array | undefined {
    return this.#inbox.shift();
  }
  write(_bytes: Uint8Array, byteLength: number): void {
    this.written += byteLength;
    this.writes++;
  }
  close(): void {
    this.closed = true;
  }
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
