// Runs a command with bad arguments, many times, and collects how each run ended, for the tests of
// "a bad argument: one-line reason, the usage, exit status 2". Each run starts tsx (about a second of
// CPU), so they run two at a time rather than all at once: on a loaded 2-core machine eight side by
// side could each take longer than a deadline. A run that does not end by its deadline is killed and
// reported as that, with what it printed so far, instead of as a wrong exit status.
import { spawn } from 'node:child_process';

export interface Ending {
  args: readonly string[];
  /** The exit status, or null when a signal (or the deadline) ended it. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Set when the deadline ended the run. */
  timedOut: boolean;
}

const CONCURRENCY = 2;
const DEADLINE_MS = 60_000;

function runOnce(command: string, args: readonly string[], deadlineMs: number): Promise<Ending> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, deadlineMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ args, code, stdout, stderr, timedOut });
    });
  });
}

/** Runs `command prefix... args...` once per argument list, CONCURRENCY at a time; endings in order. */
export async function runEach(command: string, prefix: readonly string[], argLists: readonly (readonly string[])[], deadlineMs = DEADLINE_MS): Promise<Ending[]> {
  const endings: Ending[] = new Array(argLists.length);
  let next = 0;
  const worker = async () => {
    while (next < argLists.length) {
      const index = next++;
      endings[index] = { ...(await runOnce(command, [...prefix, ...argLists[index]], deadlineMs)), args: argLists[index] };
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, argLists.length) }, worker));
  return endings;
}

/** What a test says about an ending that is not the refusal it expected: the args and all the output. */
export function describeEnding(ending: Ending): string {
  const how = ending.timedOut ? 'did not end within its deadline (killed)' : `ended with status ${ending.code}`;
  return `with ${JSON.stringify(ending.args)} the command ${how}; stderr:\n${ending.stderr.trim() || '(none)'}\nstdout:\n${ending.stdout.trim().slice(-2000) || '(none)'}`;
}

/** The per-test timeout that outlives every deadline of runEach for `count` runs. */
export function timeoutFor(count: number, deadlineMs = DEADLINE_MS): number {
  return Math.ceil(count / CONCURRENCY) * deadlineMs + 30_000;
}
