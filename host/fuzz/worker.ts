// One fuzzing worker of `npm run fuzz`: runs the session fuzzer until the deadline with its own seed
// and posts its report (or the failure it found) to the parent.
import { parentPort, workerData } from 'node:worker_threads';
import { runSessionFuzz } from './session-fuzz';

const { seed, deadlineMs } = workerData as { seed: number; deadlineMs: number };
try {
  parentPort!.postMessage({ ok: true, report: runSessionFuzz({ seed, deadlineMs }) });
} catch (error) {
  parentPort!.postMessage({ ok: false, message: (error as Error).message });
}
