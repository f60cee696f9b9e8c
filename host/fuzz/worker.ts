// One fuzzing worker of `npm run fuzz`: runs the session fuzzer for the given time (from its own
// start: a loaded machine may start workers late) with its own seed, and posts its report (or the
// failure it found) to the parent.
import { parentPort, workerData } from 'node:worker_threads';
import { runSessionFuzz } from './session-fuzz';

const { seed, durationMs } = workerData as { seed: number; durationMs: number };
try {
  parentPort!.postMessage({ ok: true, report: runSessionFuzz({ seed, deadlineMs: Date.now() + durationMs }) });
} catch (error) {
  parentPort!.postMessage({ ok: false, message: (error as Error).message });
}
