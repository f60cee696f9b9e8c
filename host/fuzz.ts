// npm run fuzz [-- SECONDS] [--seed N] [--workers N] — a hostile broker against the whole MQTT client
// (host/fuzz/session-fuzz.ts), for SECONDS (default 60), on every core. Prints how many inputs it
// tried and what they reached; at the first broken invariant it prints the input and seed, replays it
// with stack traces, and exits 1.
import { build } from 'esbuild';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { runSessionFuzz, type FuzzReport } from './fuzz/session-fuzz';

const USAGE = `usage: npm run fuzz -- [SECONDS] [--seed N] [--workers N]

Drives random broker byte streams (valid, out of order, malformed, truncated anywhere, split
anywhere) through the whole MQTT client on a virtual clock, and checks after every input that no
exception escaped, that what the client holds stays bounded, and that every QoS 1/2 publish is
completed exactly once or still held.

  SECONDS      how long to run (default 60)
  --seed N     first seed (default: random); worker i uses N + i
  --workers N  parallel workers (default: one per core)
  --help       this text
`;

class UsageError extends Error {}

function positiveInteger(text: string, what: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`${what} must be a whole number above 0, not "${text}"`);
  return value;
}

function options(): { help: boolean; seconds: number; seed: number; workers: number } {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: { seed: { type: 'string' }, workers: { type: 'string' }, help: { type: 'boolean', default: false } },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) throw new UsageError(`one duration at most, not ${positionals.length} (${positionals.join(' ')})`);
  return {
    help: values.help!,
    seconds: positionals.length ? positiveInteger(positionals[0], 'SECONDS') : 60,
    seed: values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : positiveInteger(values.seed, '--seed'),
    workers: values.workers === undefined ? os.availableParallelism() : positiveInteger(values.workers, '--workers'),
  };
}

type WorkerResult = { ok: true; report: FuzzReport } | { ok: false; message: string };

/** The worker, bundled once into plain JavaScript (workers do not load TypeScript by themselves). */
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

function runWorker(source: string, seed: number, deadlineMs: number): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(source, { eval: true, workerData: { seed, deadlineMs } });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

async function main(): Promise<number> {
  let opts;
  try {
    opts = options();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`npm run fuzz: ${error.message}\n${USAGE}`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const source = await workerSource();
  const deadlineMs = Date.now() + opts.seconds * 1000;
  const results = await Promise.all(Array.from({ length: opts.workers }, (_, i) => runWorker(source, opts.seed + i, deadlineMs)));
  const failure = results.find((r): r is Extract<WorkerResult, { ok: false }> => !r.ok);
  if (failure) {
    process.stderr.write(`fuzzing found a broken invariant at ${failure.message}\n`);
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
  const reached = Object.keys(reports[0].reached).map((key) => {
    const total = reports.reduce((sum, r) => sum + r.reached[key as keyof FuzzReport['reached']], 0);
    return `${key} ${total}`;
  });
  process.stdout.write(
    `${inputs} inputs in ${opts.seconds} s (${Math.round(inputs / opts.seconds)}/s, ${opts.workers} worker${opts.workers > 1 ? 's' : ''}, seed ${opts.seed}): ` +
      `no exception escaped, every bound held, every publish completed once or still held.\nreached: ${reached.join(', ')}\n`,
  );
  return 0;
}

process.exitCode = await main();
