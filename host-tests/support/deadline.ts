// Deadlines that explain themselves. A test that waits for something names it; when the deadline
// passes, the failure says what was awaited and shows what the test can see (the simulator's last
// traces, the broker's last log lines), instead of a bare vitest timeout much later.

export interface DeadlineOptions {
  /** Default 20 s: well inside the suites' 60 s test timeout, so this message is the one seen. */
  timeoutMs?: number;
  /** Lines for the failure message, e.g. the broker's log (see lastLines). */
  context?: () => string;
  intervalMs?: number;
}

const DEFAULT_TIMEOUT_MS = 20_000;

export class DeadlineError extends Error {
  readonly code = 'DEADLINE';
}

function expired(what: string, timeoutMs: number, context?: () => string): DeadlineError {
  const more = context?.().trim();
  return new DeadlineError(`gave up after ${timeoutMs / 1000} s waiting for ${what}${more ? `\n${more}` : ''}`);
}

/** Polls `condition` until it holds; fails naming `what` when the deadline passes. */
export async function waitUntil(what: string, condition: () => boolean, options: DeadlineOptions = {}): Promise<void> {
  const { timeoutMs = DEFAULT_TIMEOUT_MS, intervalMs = 50, context } = options;
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() >= deadline) throw expired(what, timeoutMs, context);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Awaits `promise`; fails naming `what` when it has not settled by the deadline. */
export async function withDeadline<T>(what: string, promise: Promise<T>, options: DeadlineOptions = {}): Promise<T> {
  const { timeoutMs = DEFAULT_TIMEOUT_MS, context } = options;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(expired(what, timeoutMs, context)), timeoutMs);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The last `count` lines of a log, indented and headed, for a failure message. */
export function lastLines(title: string, text: string, count = 15): string {
  const lines = text.trimEnd().split('\n').filter(Boolean).slice(-count);
  return `${title} (last ${lines.length} lines):\n${lines.map((line) => `  | ${line}`).join('\n') || '  (nothing)'}`;
}
