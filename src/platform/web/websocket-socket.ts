// The socket port over a WebSocket: MQTT over WebSocket (MQTT 3.1.1 §6) for the ground station page,
// so src/mqtt/client.ts runs in the browser unchanged, as it does over node:net and ECMA-419 TCP.
//
// The contract is the one src/ports.ts states and the Node and Moddable adapters keep: the first
// onWritable means "open", onReadable announces bytes that read() hands out, onError reports the
// end once. MQTT rides in binary frames under the subprotocol "mqtt" (§6.0: a frame may hold part of
// a packet or several, so the bytes go straight to the session's stream decoder). A WebSocket has no
// "drain" event: the room we announce is a window less the socket's bufferedAmount, and while that
// window is full we look again every few milliseconds.
//
// It is written against the WHATWG WebSocket shape, not the DOM's type, so the same file runs in the
// browser (globalThis.WebSocket) and in the Node tests (the ws package, which has that shape).
import type { Clock, StreamSocketFactory, TimerHandle } from '../../ports';

/** The part of a WHATWG WebSocket this adapter uses. Handlers take `never`: we only assign them. */
export interface WebSocketLike {
  binaryType: string;
  readonly bufferedAmount: number;
  readonly protocol: string;
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string, protocols: string[]) => WebSocketLike;

export interface WebSocketTransportOptions {
  /** The WebSocket class: globalThis.WebSocket in a browser, the ws package's in Node. */
  WebSocket: WebSocketConstructor;
  /** Path (and query) of the broker's WebSocket endpoint, e.g. "/mqtt". */
  path?: string;
  /** Time for the backpressure poll. */
  clock: Clock;
}

/** The subprotocol MQTT 3.1.1 registers for WebSocket (§6.0). */
export const MQTT_SUBPROTOCOL = 'mqtt';
/** Bytes we let the WebSocket buffer before asking the client to wait. */
const WRITE_WINDOW = 64 * 1024;
/** How often we look whether a full window has drained. */
const DRAIN_POLL_MS = 5;

/** ws://host:port/path (wss:// when the options ask for TLS). */
export function webSocketUrl(host: string, port: number, tls: boolean, path = '/mqtt'): string {
  const bracketed = host.includes(':') ? `[${host}]` : host; // an IPv6 literal
  return `${tls ? 'wss' : 'ws'}://${bracketed}:${port}${path.startsWith('/') ? path : `/${path}`}`;
}

/** Why a WebSocket closed, in words (RFC 6455 §7.4.1 codes a user may meet). */
function closeReason(code: number, reason: string, url: string): string {
  const said = reason ? `: ${reason}` : '';
  switch (code) {
    case 1000: return `closed by the broker${said}`;
    case 1001: return `the broker is going away${said}`;
    case 1002: return `the broker reported a WebSocket protocol error${said}`;
    case 1006: return `the WebSocket to ${url} could not be opened or was cut (no broker listening there, or the link dropped)`;
    case 1008: case 1003: return `the broker refused the connection (code ${code})${said}`;
    case 1009: return `a message was too big for the broker (code 1009)${said}`;
    default: return `closed (code ${code})${said}`;
  }
}

export function webSocketFactory(transport: WebSocketTransportOptions): StreamSocketFactory {
  return (options) => {
    const url = webSocketUrl(options.host, options.port, options.tls !== undefined, transport.path);
    const { clock } = transport;
    const received: Uint8Array[] = [];
    /** Bytes written in this turn, sent as one frame at its end (the client writes a packet in pieces). */
    let batch = new Uint8Array(1024);
    let batchLength = 0;
    let flushScheduled = false;
    let poll: TimerHandle | undefined;
    let closed = false;
    let ws: WebSocketLike;
    try {
      ws = new transport.WebSocket(url, [MQTT_SUBPROTOCOL]);
    } catch (error) {
      // A malformed URL throws at once (a SyntaxError in the browser): report it like any failure.
      const message = `cannot open ${url}: ${(error as Error).message}`;
      queueMicrotask(() => options.onError(message));
      return { read: () => undefined, write: () => {}, close: () => {} };
    }
    ws.binaryType = 'arraybuffer';

    // Our handlers go once we are done; an error handler stays, because the ws package throws an
    // 'error' that nobody listens to (closing while still connecting emits one).
    const detach = () => {
      ws.onopen = ws.onmessage = ws.onclose = null;
      ws.onerror = () => {};
    };
    const report = (message: string) => {
      if (closed) return;
      closed = true;
      if (poll !== undefined) clock.clearTimer(poll);
      poll = undefined;
      detach();
      try {
        ws.close();
      } catch {
        // already closing: nothing more to do
      }
      options.onError(message);
    };
    const room = () => WRITE_WINDOW - ws.bufferedAmount - batchLength;
    /** Tells the client how much it may write, now or once the buffer drains. */
    const announce = () => {
      poll = undefined;
      if (closed) return;
      const count = room();
      if (count > 0) options.onWritable(count);
      else poll = clock.setTimer(announce, DRAIN_POLL_MS);
    };
    const flush = () => {
      flushScheduled = false;
      if (closed || batchLength === 0) return;
      ws.send(batch.slice(0, batchLength)); // the frame owns its copy; the batch buffer is reused
      batchLength = 0;
      if (poll === undefined) announce();
    };

    ws.onopen = () => {
      if (!closed) options.onWritable(room());
    };
    ws.onmessage = (event: { data: unknown }) => {
      if (closed) return;
      if (!(event.data instanceof ArrayBuffer)) {
        report(`the broker sent a text frame; MQTT over WebSocket uses binary frames only (MQTT 3.1.1 §6.0)`);
        return;
      }
      received.push(new Uint8Array(event.data));
      options.onReadable(event.data.byteLength);
    };
    // A browser tells nothing in onerror (on purpose); onclose follows it with the code.
    ws.onerror = () => {};
    ws.onclose = (event: { code: number; reason: string }) => report(closeReason(event.code, event.reason, url));

    return {
      read: () => received.shift(),
      write(bytes, byteLength) {
        if (closed) return;
        if (batchLength + byteLength > batch.length) {
          const bigger = new Uint8Array(Math.max(batch.length * 2, batchLength + byteLength));
          bigger.set(batch.subarray(0, batchLength));
          batch = bigger;
        }
        batch.set(bytes.subarray(0, byteLength), batchLength);
        batchLength += byteLength;
        if (!flushScheduled) {
          flushScheduled = true;
          queueMicrotask(flush);
        }
      },
      close() {
        if (closed) return;
        flush(); // our last bytes (DISCONNECT) go before the close frame
        closed = true;
        if (poll !== undefined) clock.clearTimer(poll);
        detach();
        ws.close(1000);
      },
    };
  };
}
