// Stand-in for Moddable's `timer` module: Timer.set / repeat / clear. Timers fire only when the
// scenario calls runDueTimers(): the benchmark measures publishes, not the keepalive.
interface Timer {
  callback: () => void;
  repeat: boolean;
  cleared: boolean;
}

const timers: Timer[] = [];

const Timer = {
  set(callback: () => void, _delayMs = 0): Timer {
    const timer = { callback, repeat: false, cleared: false };
    timers.push(timer);
    return timer;
  },
  repeat(callback: () => void, _intervalMs: number): Timer {
    const timer = { callback, repeat: true, cleared: false };
    timers.push(timer);
    return timer;
  },
  clear(timer: Timer | undefined): void {
    if (timer) timer.cleared = true;
  },
};

/** Runs the one-shot timers set so far (the client delivers onReady, onMessage from one). */
export function runDueTimers(): void {
  for (const timer of timers.splice(0)) {
    if (timer.cleared) continue;
    if (timer.repeat) timers.push(timer);
    else timer.callback();
  }
}

export default Timer;
