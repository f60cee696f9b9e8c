// The clock port over Moddable's Timer and Time. now() counts milliseconds from boot and never jumps
// (Time.ticks, carried past the wrap of its 32 bits): timers, rates and uptime use it. epochMs() is
// the date: unknown on the device until SNTP has answered (sntp-time.ts calls setDate), or the
// system's own date where that can be trusted (the desktop simulator runs on a computer's clock).
import Timer from "timer";
import Time from "time";
import type { Clock, TimerHandle } from "../../ports";

const WRAP = 4294967296;
let lastTicks = 0;
let wraps = 0;

function monotonicMs(): number {
  const ticks = Time.ticks >>> 0;
  if (ticks < lastTicks) wraps++;
  lastTicks = ticks;
  return wraps * WRAP + ticks;
}

/** The date at one moment of now(): later dates follow from the monotonic clock. */
let dateAt: { epochMs: number; monotonicMs: number } | undefined;
let systemDate = false;

export const moddableClock: Clock = {
  now: monotonicMs,
  epochMs: () => (systemDate ? Date.now() : dateAt ? dateAt.epochMs + (monotonicMs() - dateAt.monotonicMs) : undefined),
  setTimer: (callback, delayMs) => Timer.set(callback, delayMs) as unknown as TimerHandle,
  setRepeatingTimer: (callback, intervalMs) => Timer.repeat(callback, intervalMs) as unknown as TimerHandle,
  clearTimer: (handle) => Timer.clear(handle as unknown as Timer),
};

/** The date is `epochMs` now (an SNTP answer). */
export function setDate(epochMs: number): void {
  dateAt = { epochMs, monotonicMs: monotonicMs() };
  systemDate = false;
}

/** Takes the system's date as known (the desktop simulator without SNTP servers). */
export function trustSystemDate(): void {
  systemDate = true;
}

/**
 * A clock that runs `speed` times faster than `base` (the desktop simulator flying a whole flight in
 * minutes): now(), the date and every timer follow simulated time. The network keeps real time.
 */
export function scaledClock(base: Clock, speed: number): Clock {
  const startMs = base.now();
  const scale = (ms: number) => startMs + (ms - startMs) * speed;
  return {
    now: () => scale(base.now()),
    epochMs: () => {
      const epoch = base.epochMs?.();
      return epoch === undefined ? undefined : epoch + (scale(base.now()) - base.now());
    },
    setTimer: (callback, delayMs) => base.setTimer(callback, delayMs / speed),
    setRepeatingTimer: (callback, intervalMs) => base.setRepeatingTimer(callback, intervalMs / speed),
    clearTimer: (handle) => base.clearTimer(handle),
  };
}
