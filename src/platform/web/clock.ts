// The clock port over the browser's timers (the page's MQTT client keeps its keepalive and
// reconnect timers on it).
import type { Clock, TimerHandle } from '../../ports';

type Handle = { id: ReturnType<typeof setTimeout> };

export const browserClock: Clock = {
  now: () => Date.now(),
  setTimer: (callback, delayMs) => ({ id: setTimeout(callback, delayMs) }) as Handle as TimerHandle,
  setRepeatingTimer: (callback, intervalMs) => ({ id: setInterval(callback, intervalMs) }) as Handle as TimerHandle,
  clearTimer: (handle) => clearTimeout((handle as Handle).id), // clears intervals too
};
