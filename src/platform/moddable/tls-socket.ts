// TLS over ECMA-419 TCP with the Moddable SDK's TLS 1.2 session ("ssl/session"): the session reads
// and writes the TCP socket itself during the handshake and for every record; we track the socket's
// readable/writable counts for it, as it expects. The broker's certificate is verified against the
// CA given in the options (PEM); the server must send its chain (leaf, then the CA). With a client
// certificate and key in the options the device also proves who it is (mutual TLS): the SDK's
// CertificateManager (modules/crypt/ssl/ssl_cert.js) takes `clientCertificates` (DER) and
// `clientKey` (PKCS#8 DER), and signs the CertificateVerify with RSA only (ssl_handshake.js).
import TCP from "embedded:io/socket/tcp";
import Timer from "timer";
// mcconfig resolves "ssl/session" to the SDK's untyped JavaScript; `npm run typecheck` sees the
// declaration in esp32/moddable-modules.d.ts instead.
// eslint-disable-next-line @typescript-eslint/ban-ts-comment -- the error exists under mcconfig only
// @ts-ignore TS7016
import Session from "ssl/session";
import type { StreamSocket, StreamSocketOptions } from "../../ports";
import { decodeBase64 } from "../../ota/base64";

/** Allowance for the TLS record overhead when telling the client how much it may write. */
const RECORD_OVERHEAD = 96;

interface CountingSocket {
  readable: number;
  writable: number;
  read(buffer?: unknown): unknown;
  write(buffer: unknown): number;
  close(): void;
}

interface TlsSession {
  /** The type of the last handshake message handled (-1 when idle). */
  handshakeProcess: number;
  /** Set when the handshake failed. */
  alert?: { level: number; description: number };
  initiateHandshake(): void;
  handshake(socket: CountingSocket): boolean;
  read(socket: CountingSocket): Uint8Array | null | undefined;
  write(socket: CountingSocket, data: Uint8Array): number;
  close(socket: CountingSocket): void;
}

/** The DER bytes inside a PEM block (`what` names it in the error). */
function pemToDer(pem: string, what: string): ArrayBuffer {
  const der = decodeBase64(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""));
  if (!der) throw new Error(`${what} is not PEM`);
  return der.buffer as ArrayBuffer;
}

export function openTlsSocket(options: StreamSocketOptions, address: string): StreamSocket {
  const session = new (Session as unknown as new (options: object) => TlsSession)({
    serverName: options.tls?.serverName ?? options.host,
    protocolVersion: 0x303,
    ...(options.tls?.ca ? { certificate: pemToDer(options.tls.ca, "the broker CA") } : {}),
    ...(options.tls?.certificate && options.tls.key
      ? { clientCertificates: [pemToDer(options.tls.certificate, "the client certificate")], clientKey: pemToDer(options.tls.key, "the client key") }
      : {}),
  });
  session.initiateHandshake();
  let ready = false;
  let failed = false;
  const received: Uint8Array[] = [];
  const fail = (message: string) => {
    if (failed) return;
    failed = true;
    options.onError(message);
  };
  const pump = () => {
    try {
      // The session takes one step per call: it reads one handshake record, and on the next call acts
      // on it (after the server's ServerHelloDone it sends our key exchange and Finished). Keep calling
      // while it moves; stop when it waits for the server.
      while (!ready) {
        const readable = tcp.readable;
        const step = session.handshakeProcess;
        if (session.handshake(tcp)) {
          // The session also "finishes" the handshake when it raised an alert (a certificate that
          // does not verify, for one): that is a failure, not a connection.
          if (session.alert) return fail(`TLS handshake with ${options.host}:${options.port} failed (alert ${session.alert.description}): is the broker's certificate signed by the configured CA?`);
          ready = true;
          options.onWritable(Math.max(0, tcp.writable - RECORD_OVERHEAD));
        } else if (tcp.readable === readable && session.handshakeProcess === step) {
          return;
        }
      }
      for (;;) {
        const data = session.read(tcp);
        if (data === undefined) break;
        if (data === null) {
          peerClosed = true;
          break;
        }
        received.push(data);
      }
      if (received.length || peerClosed) deliver();
    } catch (error) {
      const message = (error as Error).message;
      const hint = /^certificateVerify/.test(message)
        ? " (mutual TLS: the device's client key must be RSA, and the key exchange RSA or ECDHE_RSA)"
        : /certificate/.test(message)
          ? " (is the broker's certificate, for this host name, signed by the configured CA?)"
          : "";
      fail(`TLS with ${address}:${options.port} failed: ${message}${hint}`);
    }
  };
  // What was decrypted goes to the client on a fresh stack: answering a message (a command's reply)
  // encrypts a record, and doing that inside the decryption overflowed the XS stack. A close that
  // came with data (a CONNACK refusing the login, then the broker's close) is reported after it.
  let peerClosed = false;
  let delivering = false;
  const deliver = () => {
    if (delivering) return;
    delivering = true;
    Timer.set(() => {
      delivering = false;
      if (failed) return;
      if (received.length) options.onReadable(received.length);
      if (peerClosed) fail(`TLS connection to ${address}:${options.port} closed`);
    }, 0);
  };
  const tcp = new TCP({
    address,
    port: options.port,
    nodelay: true,
    onReadable(count: number) {
      tcp.readable = count;
      pump();
    },
    onWritable(count: number) {
      tcp.writable = count;
      if (!ready) pump();
      else if (count > RECORD_OVERHEAD) options.onWritable(count - RECORD_OVERHEAD);
    },
    onError: () => fail(`TCP connection to ${address}:${options.port} failed or closed`),
  }) as unknown as CountingSocket;
  tcp.readable = 0;
  tcp.writable = 0;
  return {
    read: () => received.shift(),
    write(bytes, byteLength) {
      if (failed) return;
      try {
        session.write(tcp, byteLength === bytes.length ? bytes : bytes.subarray(0, byteLength));
      } catch (error) {
        // The lin socket throws "write failed" when the broker has already closed (it refused the
        // handshake); the port reports failures through onError, and never inside the client's write.
        failed = true;
        const message = (error as Error).message;
        Timer.set(() => options.onError(`TLS with ${address}:${options.port} failed: ${message}`), 0);
      }
    },
    close() {
      failed = true;
      try {
        if (ready) session.close(tcp); // sends close_notify: it throws when the broker has gone first
      } catch {
        // nothing to tell: the connection is being closed anyway
      } finally {
        tcp.close();
      }
    },
  };
}
