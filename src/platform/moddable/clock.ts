// The clock port over Moddable's Timer and Date.
import Timer from "timer";
import type { Clock, TimerHandle } from "../../ports";

export const moddableClock: Clock = {
  now: () => Date.now(),
  setTimer: (callback, delayMs) => Timer.set(callback, delayMs) as unknown as TimerHandle,
  setRepeatingTimer: (callback, intervalMs) => Timer.repeat(callback, intervalMs) as unknown as TimerHandle,
  clearTimer: (handle) => Timer.clear(handle as unknown as Timer),
};
