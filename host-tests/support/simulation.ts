// Runs `npm start` (host/simulate.ts) as a user would, for the suites that watch it from outside:
// it resolves once the process has printed the ground station's address.
import { spawn, type ChildProcess } from 'node:child_process';

export interface Simulation {
  url: string;
  process: ChildProcess;
  output(): string;
  /** Ctrl-C, as a user stops it; resolves when it has exited. */
  stop(): Promise<void>;
}

export async function startSimulation(args: string[]): Promise<Simulation> {
  const child = spawn('node_modules/.bin/tsx', ['host/simulate.ts', '--web-port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const look = () => {
      const match = /ground station: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output);
      if (match) resolve(match[1]);
    };
    child.stdout.on('data', look);
    child.once('exit', (code) => reject(new Error(`npm start exited (${code}) before serving the page: ${output}`)));
  });
  return {
    url,
    process: child,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
    },
  };
}
