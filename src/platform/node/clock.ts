// The clock port over Node's timers.
import type { Clock, TimerHandle } from '../../ports';

export const nodeClock: Clock = {
  now: () => Date.now(),
  setTimer: (callback, delayMs) => setTimeout(callback, delayMs) as TimerHandle,
  setRepeatingTimer: (callback, intervalMs) => setInterval(callback, intervalMs) as TimerHandle,
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout), // clears intervals too
};
