// An image server behind the HTTP port: honours Range, sends in chunks on the clock, and can answer
// 404/500, drop the connection after some bytes, or ignore Range. Core-compatible.
import type { Clock, HttpGet } from '../../src/ports';

export class FakeImageServer {
  readonly files = new Map<string, Uint8Array>();
  chunkBytes = 1024;
  /** Status to answer instead of serving (404, 500 …). */
  status: number | undefined;
  /** Drop the connection after sending this many bytes in one response (each entry used once). */
  dropAfter: number[] = [];
  /** Stop sending, without closing, after this many bytes in one response (each entry used once). */
  stallAfter: number[] = [];
  ignoreRange = false;
  /** Time between chunks (ms on the clock). */
  chunkDelayMs = 1;
  /** Every request: the byte it asked to start from. */
  readonly requests: number[] = [];
  readonly #clock: Clock;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  readonly get: HttpGet = (url, fromByte, handlers) => {
    this.requests.push(fromByte);
    let aborted = false;
    const later = (action: () => void) => this.#clock.setTimer(() => !aborted && action(), this.chunkDelayMs);
    const file = this.files.get(url);
    const status = this.status ?? (file ? (fromByte > 0 && !this.ignoreRange ? 206 : 200) : 404);
    later(() => {
      handlers.onResponse(status, status === 206 ? fromByte : 0);
      if (!file || (status !== 200 && status !== 206)) return;
      let offset = status === 206 ? fromByte : 0;
      const dropAt = this.dropAfter.shift();
      const stallAt = this.stallAfter.shift();
      let sent = 0;
      const pump = () => {
        if (dropAt !== undefined && sent >= dropAt) return handlers.onError('connection reset by peer');
        if (stallAt !== undefined && sent >= stallAt) return; // silence: no data, no error, no end
        if (offset >= file.length) return handlers.onEnd();
        const size = Math.min(this.chunkBytes, file.length - offset, dropAt === undefined ? Infinity : dropAt - sent, stallAt === undefined ? Infinity : stallAt - sent);
        handlers.onData(file.slice(offset, offset + size));
        offset += size;
        sent += size;
        later(pump);
      };
      later(pump);
    });
    return { abort: () => (aborted = true) };
  };
}
