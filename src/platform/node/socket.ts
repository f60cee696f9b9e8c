// The socket port over node:net and node:tls, emulating ECMA-419's contract: the first onWritable
// means connected, onReadable announces data that read() hands out, onError reports the end.
import net from 'node:net';
import tls from 'node:tls';
import type { StreamSocket, StreamSocketFactory } from '../../ports';

/** Bytes we let the client queue in Node's socket before asking it to wait for a drain. */
const WRITE_WINDOW = 64 * 1024;

export const nodeSocketFactory: StreamSocketFactory = (options) => {
  const received: Uint8Array[] = [];
  let closed = false;
  let corked = false;
  let refreshScheduled = false;
  const socket = options.tls
    ? tls.connect({
        host: options.host,
        port: options.port,
        ca: options.tls.ca,
        servername: options.tls.serverName ?? options.host,
        ...(options.tls.certificate ? { cert: options.tls.certificate, key: options.tls.key } : {}),
      })
    : net.connect({ host: options.host, port: options.port });
  socket.setNoDelay(true);
  const report = (message: string) => {
    if (closed) return;
    closed = true;
    socket.destroy();
    options.onError(message);
  };
  const writable = () => Math.max(0, WRITE_WINDOW - socket.writableLength);
  // Writes made in one turn of the event loop leave in one writev; the client then hears, once, how
  // much more fits (or waits for 'drain' when the window is full).
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  const refresh = () => {
    refreshScheduled = false;
    if (!closed && writable() > 0) options.onWritable(writable());
  };
  socket.once(options.tls ? 'secureConnect' : 'connect', () => options.onWritable(writable()));
  socket.on('drain', () => !closed && options.onWritable(writable()));
  socket.on('data', (chunk: Buffer) => {
    received.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    options.onReadable(chunk.byteLength);
  });
  socket.on('error', (error) => report(error.message));
  socket.on('close', () => report('closed by the peer'));
  const port: StreamSocket = {
    read: () => received.shift(),
    write(bytes, byteLength) {
      if (closed) return;
      if (!corked) {
        corked = true;
        socket.cork();
        process.nextTick(uncork);
      }
      socket.write(Buffer.from(bytes.subarray(0, byteLength))); // a copy: the caller reuses its buffer
      if (!refreshScheduled) {
        refreshScheduled = true;
        queueMicrotask(refresh);
      }
    },
    close() {
      if (closed) return;
      closed = true;
      // Half-close: our last bytes (DISCONNECT) leave with a FIN, and we keep reading until the broker
      // closes too. Destroying at once would make the kernel answer late acks with a reset, and a
      // reset can throw away our last packets on the broker's side before it has read them.
      socket.removeAllListeners('data');
      socket.resume();
      socket.end();
      setTimeout(() => socket.destroy(), 2000).unref();
    },
  };
  return port;
};
