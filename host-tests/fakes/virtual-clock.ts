// A clock port whose time moves only when a test says so. Core-compatible (runs on XS too).
import type { Clock, TimerHandle } from '../../src/ports';

interface Timer {
  at: number;
  callback: () => void;
  cancelled: boolean;
  /** Repeats every intervalMs when set. */
  intervalMs?: number;
}

export class VirtualClock implements Clock {
  #now: number;
  #timers: Timer[] = [];
  constructor(startMs = Date.UTC(2026, 10, 27, 9, 0, 0)) {
    this.#now = startMs;
  }
  now(): number {
    return this.#now;
  }
  setTimer(callback: () => void, delayMs: number): TimerHandle {
    const timer: Timer = { at: this.#now + Math.max(0, delayMs), callback, cancelled: false };
    this.#timers.push(timer);
    return timer;
  }
  setRepeatingTimer(callback: () => void, intervalMs: number): TimerHandle {
    const timer: Timer = { at: this.#now + intervalMs, callback, cancelled: false, intervalMs };
    this.#timers.push(timer);
    return timer;
  }
  clearTimer(handle: TimerHandle): void {
    (handle as Timer).cancelled = true;
  }
  /** Cancels every timer (an emulated device lost its RAM at a reset). */
  clearAll(): void {
    for (const timer of this.#timers) timer.cancelled = true;
  }
  /**
   * Moves time on by `ms` without running any timer, as a blocking delay on a device does (timers
   * that came due run at the next advance()).
   */
  elapse(ms: number): void {
    this.#now += Math.max(0, ms);
  }
  /** Advances time by `ms`, running due timers in time order (timers they set run too if due). */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      this.#timers = this.#timers.filter((t) => !t.cancelled);
      let next: Timer | undefined;
      for (const t of this.#timers) if (t.at <= end && (!next || t.at < next.at)) next = t;
      if (!next) break;
      this.#now = Math.max(this.#now, next.at);
      if (next.intervalMs) next.at += next.intervalMs;
      else next.cancelled = true;
      next.callback();
    }
    this.#now = end;
  }
}
