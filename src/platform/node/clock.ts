// The clock port over Node's timers, optionally running faster than real time (the simulation's
// --speed): time and every timer are scaled alike, so the node behaves exactly as it would, only sooner.
import type { Clock, TimerHandle } from '../../ports';

export function scaledClock(speed = 1, startMs = Date.now()): Clock {
  const realStart = Date.now();
  return {
    now: () => Math.round(startMs + (Date.now() - realStart) * speed),
    setTimer: (callback, delayMs) => setTimeout(callback, delayMs / speed) as TimerHandle,
    setRepeatingTimer: (callback, intervalMs) => setInterval(callback, intervalMs / speed) as TimerHandle,
    clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout), // clears intervals too
  };
}

export const nodeClock: Clock = scaledClock(1);
