// The socket port over ECMA-419 TCP (embedded:io/socket/tcp), with TLS when the options ask for it
// (tls-socket.ts).
// ECMA-419 sockets take an IPv4 address, so a host name is resolved first with Net.resolve.
// Backpressure: we pass the socket's own onWritable counts through unchanged; the MQTT client never
// writes more than the last count allows.
import TCP from "embedded:io/socket/tcp";
import Net from "net"; // Moddable's network module (Net.resolve), not Node's
import Timer from "timer";
import type { StreamSocket, StreamSocketFactory, StreamSocketOptions } from "../../ports";
import { openTlsSocket } from "./tls-socket";

const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

function resolve(host: string, then: (address: string | undefined) => void): void {
  if (IPV4.test(host)) then(host);
  else Net.resolve(host, (_name: string, address?: string) => then(address));
}

function openTcp(options: StreamSocketOptions, address: string): StreamSocket {
  let failed = false;
  const fail = (message: string) => {
    if (failed) return;
    failed = true;
    options.onError(message);
  };
  const tcp = new TCP({
    address,
    port: options.port,
    nodelay: true,
    format: "buffer",
    onWritable: (count: number) => options.onWritable(count),
    onReadable: (count: number) => options.onReadable(count),
    onError: () => fail(`TCP connection to ${address}:${options.port} failed or closed`),
  });
  return {
    read() {
      const bytes = tcp.read() as ArrayBuffer | undefined;
      return bytes === undefined ? undefined : new Uint8Array(bytes);
    },
    write(bytes, byteLength) {
      if (failed) return;
      try {
        tcp.write(byteLength === bytes.length ? bytes : bytes.subarray(0, byteLength));
      } catch (error) {
        // A send to a peer that has gone throws ("write failed" on lin): report it as the port
        // reports failures, through onError, and not from inside the client's write.
        const message = (error as Error).message;
        failed = true;
        Timer.set(() => options.onError(`TCP connection to ${address}:${options.port} failed: ${message}`), 0);
      }
    },
    close() {
      failed = true;
      tcp.close();
    },
  };
}

export const moddableSocketFactory: StreamSocketFactory = (options) => {
  // Until the name is resolved the port is a shell that forwards to the real socket once it exists.
  let socket: StreamSocket | undefined;
  let closed = false;
  resolve(options.host, (address) => {
    if (closed) return;
    if (!address) {
      options.onError(`cannot resolve ${options.host}`);
      return;
    }
    socket = options.tls ? openTlsSocket(options, address) : openTcp(options, address);
  });
  return {
    read: () => socket?.read(),
    write: (bytes, byteLength) => socket?.write(bytes, byteLength),
    close() {
      closed = true;
      socket?.close();
    },
  };
};
