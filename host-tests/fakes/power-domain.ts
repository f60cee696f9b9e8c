// What a device's power cut takes with it, for a node on fake ports: its timers and its socket. A
// node built on a domain's clock and socket factory stops entirely when the domain dies (timers
// cleared, writes and socket callbacks dropped), as the CPU would; the flash chip keeps what was
// written. Core-compatible (runs on XS).
import type { Clock, StreamSocketFactory, TimerHandle } from '../../src/ports';

export class PowerDomain {
  #alive = true;
  readonly #timers = new Set<TimerHandle>();
  readonly #closers = new Set<() => void>();
  readonly #base: Clock;
  readonly clock: Clock;
  readonly socket: StreamSocketFactory;

  /** `powered` says whether the hardware still has power (the flash chip's view). */
  constructor(base: Clock, inner: StreamSocketFactory, powered: () => boolean) {
    this.#base = base;
    const alive = () => this.#alive && powered();
    this.clock = {
      now: () => base.now(),
      setTimer: (callback, delayMs) => this.#track(base.setTimer(() => alive() && callback(), delayMs)),
      setRepeatingTimer: (callback, intervalMs) => this.#track(base.setRepeatingTimer(() => alive() && callback(), intervalMs)),
      clearTimer: (handle) => {
        this.#timers.delete(handle);
        base.clearTimer(handle);
      },
    };
    this.socket = (options) => {
      const socket = inner({
        ...options,
        onWritable: (count) => alive() && options.onWritable(count),
        onReadable: (count) => alive() && options.onReadable(count),
        onError: (message) => alive() && options.onError(message),
      });
      const close = () => socket.close();
      this.#closers.add(close);
      return {
        read: () => (alive() ? socket.read() : undefined),
        write: (bytes, length) => {
          if (alive()) socket.write(bytes, length);
        },
        close: () => {
          this.#closers.delete(close);
          socket.close();
        },
      };
    };
  }

  #track(handle: TimerHandle): TimerHandle {
    this.#timers.add(handle);
    return handle;
  }

  get alive(): boolean {
    return this.#alive;
  }

  /** The power is gone: nothing of this domain runs again. Its sockets go dead without a word. */
  kill(): void {
    this.#alive = false;
    for (const handle of this.#timers) this.#base.clearTimer(handle);
    this.#timers.clear();
    for (const close of this.#closers) close();
    this.#closers.clear();
  }
}
