// A driver for the real XS engine: the `xsnap-worker` binary that the npm package @agoric/xsnap builds
// from the XS C sources when it is installed. We speak its netstring protocol ourselves instead of
// using the package's JS API, because that API needs the whole Node process locked down by SES.
//
// Protocol (xsnap-worker.c): the parent writes netstrings on fd 3 and reads them on fd 4.
//   'e' + source   → evaluate a script; reply '.' + meterJSON + '\x01' + resultBytes, or '!' + error text
//   'q'            → quit
// While evaluating, the script may call issueCommand(ArrayBuffer): the worker sends '?' + bytes and
// waits for '/' + reply bytes.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** What the engine measured for one evaluation (deterministic for the same code and input). */
export interface XsMeter {
  /** XS "computrons": the engine's deterministic count of work done. */
  computrons: number;
  /** Heap slots in use when the evaluation ended (after a gc() this is the live count). */
  heapSlots: number;
  /** Bytes the engine has taken from the system for its heap and chunks so far. */
  engineBytes: number;
}

export class XsEvaluationError extends Error {
  readonly code = 'XS_EXCEPTION';
}

/** Bytes per heap slot (txSlot) on a 64-bit host build of XS. */
export const XS_SLOT_BYTES = 32;

export function xsnapWorkerPath(): string {
  const require = createRequire(import.meta.url);
  const packageDir = path.dirname(require.resolve('@agoric/xsnap/package.json'));
  const worker = path.join(packageDir, 'xsnap-native/xsnap/build/bin/lin/release/xsnap-worker');
  if (!existsSync(worker)) {
    throw new Error(
      `the XS engine is not built: ${worker} is missing. It is built by the install script of @agoric/xsnap; ` +
        'run `npm rebuild @agoric/xsnap` (needs gcc and make).',
    );
  }
  return worker;
}

interface Pending {
  resolve: (value: { reply: Uint8Array; meter: XsMeter }) => void;
  reject: (error: Error) => void;
}

export class XsMachine {
  readonly #process: ChildProcess;
  readonly #toWorker: Writable;
  #received = Buffer.alloc(0);
  #pending: Pending | undefined;
  #exited: Error | undefined;
  /** What the engine printed with print(), one entry per line. */
  readonly printed: string[] = [];
  onCommand: (request: Uint8Array) => Uint8Array = () => new Uint8Array(0);

  private constructor() {
    this.#process = spawn(xsnapWorkerPath(), ['xs-machine'], {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
    });
    const stdio = this.#process.stdio as unknown as [null, Readable, Readable, Writable, Readable];
    this.#toWorker = stdio[3];
    stdio[4].on('data', (chunk: Buffer) => this.#onData(chunk));
    let pendingLine = '';
    stdio[1].setEncoding('utf8').on('data', (text: string) => {
      const lines = (pendingLine + text).split('\n');
      pendingLine = lines.pop() ?? '';
      this.printed.push(...lines);
    });
    let stderr = '';
    stdio[2].setEncoding('utf8').on('data', (text: string) => (stderr += text));
    this.#process.on('exit', (code, signal) => {
      this.#exited = new Error(`the XS worker exited (code ${code}, signal ${signal})${stderr ? `: ${stderr.trim()}` : ''}`);
      this.#pending?.reject(this.#exited);
      this.#pending = undefined;
    });
  }

  static start(): XsMachine {
    return new XsMachine();
  }

  /** Evaluates a script; resolves with the bytes of the ArrayBuffer it returns (empty otherwise). */
  evaluate(source: string): Promise<{ reply: Uint8Array; meter: XsMeter }> {
    if (this.#exited) return Promise.reject(this.#exited);
    if (this.#pending) return Promise.reject(new Error('XsMachine.evaluate: one evaluation at a time'));
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
      this.#send('e', Buffer.from(source, 'utf8'));
    });
  }

  close(): Promise<void> {
    if (this.#exited) return Promise.resolve();
    return new Promise((resolve) => {
      this.#process.once('exit', () => resolve());
      this.#send('q', Buffer.alloc(0));
      this.#toWorker.end();
    });
  }

  #send(command: string, body: Buffer): void {
    const payload = Buffer.concat([Buffer.from(command, 'latin1'), body]);
    this.#toWorker.write(`${payload.length}:`);
    this.#toWorker.write(payload);
    this.#toWorker.write(',');
  }

  #onData(chunk: Buffer): void {
    this.#received = Buffer.concat([this.#received, chunk]);
    for (;;) {
      const colon = this.#received.indexOf(0x3a);
      if (colon < 0) return;
      const length = Number(this.#received.subarray(0, colon).toString('latin1'));
      if (this.#received.length < colon + 1 + length + 1) return;
      const message = this.#received.subarray(colon + 1, colon + 1 + length);
      this.#received = this.#received.subarray(colon + 2 + length);
      this.#onMessage(message);
    }
  }

  #onMessage(message: Buffer): void {
    const kind = String.fromCharCode(message[0]);
    const body = message.subarray(1);
    if (kind === '?') {
      this.#send('/', Buffer.from(this.onCommand(new Uint8Array(body))));
      return;
    }
    const pending = this.#pending;
    this.#pending = undefined;
    if (!pending) return;
    if (kind === '!') {
      pending.reject(new XsEvaluationError(body.toString('utf8')));
      return;
    }
    const separator = body.indexOf(1);
    const meterJson = JSON.parse(body.subarray(0, separator).toString('utf8')) as {
      compute: number;
      currentHeapCount: number;
      allocate: number;
    };
    pending.resolve({
      reply: new Uint8Array(body.subarray(separator + 1)),
      meter: { computrons: meterJson.compute, heapSlots: meterJson.currentHeapCount, engineBytes: meterJson.allocate },
    });
  }
}
