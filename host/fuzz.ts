// npm run fuzz [-- SECONDS] [--seed N] [--workers N] — a hostile broker against the whole MQTT client
// (host/fuzz/session-fuzz.ts) for SECONDS (default 60), on every core. Prints how many inputs it tried
// and what they reached; at the first broken invariant it prints the input and seed, replays it with
// stack traces, and exits 1.
import { build } from 'esbuild';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { parseCommandLine, printHelp, runCommand, UsageError, wantsHelp } from './command-line';
import { runSessionFuzz, type FuzzReport } from './fuzz/session-fuzz';

const USAGE = `usage: npm run fuzz [-- SECONDS] [--seed N] [--workers N]

Drives random broker byte streams (valid, out of order, unsolicited, malformed, truncated and split
anywhere) through the whole MQTT client on a virtual clock for SECONDS seconds (default 60; at most
86400), and checks after every input that no exception escaped, that what the client holds stays
bounded, and that every QoS 1/2 publish completed exactly once or is still held. Exits 1 at the first
broken invariant, printing the input and seed and replaying it with stack traces; otherwise prints
how many inputs it tried and exits 0.

  --seed N     first seed (default: random); worker i uses N + i
  --workers N  parallel workers (default: one per core)
  --help       this text`;

function wholeNumber(text: string, what: string): number {
  if (!/^\d+$/.test(text) || !(Number(text) >= 1)) throw new UsageError(`${what} must be a whole number above 0, not "${text}"`);
  return Number(text);
}

function options(args: string[]): { seconds: number; seed: number; workers: number } {
  const { values, positionals } = parseCommandLine({ args, allowPositionals: true, options: { seed: { type: 'string' }, workers: { type: 'string' } } });
  if (positionals.length > 1) throw new UsageError(`expected at most one argument (SECONDS), not ${positionals.length}: ${positionals.join(' ')}`);
  const text = positionals[0] ?? '60';
  const seconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(seconds > 0) || seconds > 86_400) throw new UsageError(`SECONDS must be a number above 0 and at most 86400, not "${text}"`);
  return {
    seconds,
    seed: values.seed === undefined ? 1 + Math.floor(Math.random() * 2 ** 31) : wholeNumber(values.seed, '--seed'),
    workers: values.workers === undefined ? os.availableParallelism() : wholeNumber(values.workers, '--workers'),
  };
}

type WorkerResult = { ok: true; report: FuzzReport } | { ok: false; message: string };

/** The worker, bundled once into plain JavaScript (a worker thread does not load TypeScript by itself). */
async function workerSource(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./fuzz/worker.ts', import.meta.url))],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

function runWorker(source: string, seed: number, durationMs: number): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(source, { eval: true, workerData: { seed, durationMs } });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (wantsHelp(args)) return printHelp(USAGE);
  const { seconds, seed, workers } = options(args);
  const source = await workerSource();
  const results = await Promise.all(Array.from({ length: workers }, (_, i) => runWorker(source, seed + i, seconds * 1000)));
  const failure = results.find((r): r is Extract<WorkerResult, { ok: false }> => !r.ok);
  if (failure) {
    process.stderr.write(`fuzzing broke an invariant at ${failure.message}\n`);
    const replay = /^input (\d+) \(seed (\d+)\)/.exec(failure.message);
    if (replay) {
      try {
        runSessionFuzz({ seed: Number(replay[2]), inputs: Number(replay[1]) + 1, stacks: true });
      } catch (error) {
        process.stderr.write(`replayed with stack traces:\n${(error as Error).message}\n`);
      }
    }
    return 1;
  }
  const reports = results.map((r) => (r as Extract<WorkerResult, { ok: true }>).report);
  const inputs = reports.reduce((sum, r) => sum + r.inputs, 0);
  const reached = (Object.keys(reports[0].reached) as (keyof FuzzReport['reached'])[]).map(
    (key) => `${key} ${reports.reduce((sum, r) => sum + r.reached[key], 0)}`,
  );
  process.stdout.write(
    `${inputs} inputs in ${seconds} s: no exception escaped, every bound held, every publish completed once or still held ` +
      `(${Math.round(inputs / seconds)}/s, ${workers} worker${workers > 1 ? 's' : ''}, seed ${seed})\nreached: ${reached.join(', ')}\n`,
  );
  return 0;
}

runCommand(main, USAGE);
