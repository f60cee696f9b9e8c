// The host commands as a user runs them (the npm scripts' own command lines): --help on stdout with
// status 0, a bad argument as one line saying why plus the usage with status 2 (host/command-line.ts),
// the OTA image server's answer to a malformed URL, and the live view's terminal handling.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { lastLines, withDeadline } from '../support/deadline';

const execute = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const scripts = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

interface Outcome {
  status: number;
  stdout: string;
  stderr: string;
}

async function tsx(args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await execute(path.join(root, 'node_modules/.bin/tsx'), args, { cwd: root, timeout: 60_000 });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { status: code, stdout, stderr };
  }
}

/** The arguments of an npm script's tsx command line (all of ours are `tsx file [command]`). */
function scriptArguments(script: string): string[] {
  const [tool, ...fixed] = scripts[script].split(' ');
  if (tool !== 'tsx') throw new Error(`npm script ${script} is not a tsx command: ${scripts[script]}`);
  return fixed;
}

/** Runs `npm run <script> -- ...args` the way npm would, without npm's own banner. */
const npmRun = (script: string, args: string[]) => tsx([...scriptArguments(script), ...args]);

const COMMANDS: { script: string; bad: string[]; reason: RegExp }[] = [
  { script: 'start', bad: ['--speed', 'fast'], reason: /^error: --speed must be a number from 0 \(exclusive\) to 1000, not "fast"$/ },
  { script: 'ota', bad: ['frobnicate'], reason: /^error: unknown command "frobnicate"$/ },
  { script: 'fuzz', bad: ['abc'], reason: /^error: SECONDS must be a number above 0 and at most 86400, not "abc"$/ },
  { script: 'bench', bad: ['warp'], reason: /^error: unknown section "warp": choose from mqtt, node, ota, flights, build, page$/ },
  { script: 'sim', bad: ['--scenario', 'storm'], reason: /^error: unknown scenario "storm": choose normal, crash, sensor-fault, gentle-failure, .*, low-pass, low-failure, silent-impact or outage \(or manual with --device sim\)$/ },
  { script: 'broker', bad: ['config', '/tmp/x', '--port', 'high'], reason: /^error: --port must be a port number from 1 to 65535, not "high"$/ },
  { script: 'export-flight', bad: ['crash', '--every', '0'], reason: /^error: --every must be a number of seconds above 0, not "0"$/ },
];

describe('host commands follow the command-line conventions', () => {
  it.each(COMMANDS)('npm run $script -- --help prints the usage to stdout and exits 0', async ({ script }) => {
    const { status, stdout, stderr } = await npmRun(script, ['--help']);
    expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
    expect(stdout).toMatch(/^usage: npm (start|run \S+)/);
    expect(stdout).toContain('--help');
  });

  it.each(COMMANDS)('npm run $script with a bad argument says why in one line, then the usage, and exits 2', async ({ script, bad, reason }) => {
    const { status, stdout, stderr } = await npmRun(script, bad);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    const [first, second] = stderr.split('\n');
    expect(first).toMatch(reason);
    expect(second).toMatch(/^usage: /);
  });

  it('npm run fuzz -- abc does not fuzz (it used to run "0 inputs in NaN s" and exit 0)', async () => {
    const { status, stdout } = await npmRun('fuzz', ['abc']);
    expect(status).toBe(2);
    expect(stdout).not.toMatch(/inputs/);
  });

  it('npm run fuzz -- 0.5 fuzzes for half a second and reports how many inputs it tried', async () => {
    const { status, stdout } = await npmRun('fuzz', ['0.5']);
    expect(status).toBe(0);
    expect(stdout).toMatch(/^[1-9]\d* inputs in 0\.5 s: no exception escaped, every bound held, every publish completed once or still held/);
  });
});

function get(port: number, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath }, (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('npm run ota -- serve', () => {
  it('answers 400 to a malformed URL and keeps serving', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'altimeter-serve-'));
    writeFileSync(path.join(dir, 'altimeter.bin'), 'firmware bytes');
    const server = spawn(path.join(root, 'node_modules/.bin/tsx'), [...scriptArguments('ota'), 'serve', dir, '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const serving = new Promise<number>((resolve) => {
      server.stdout.setEncoding('utf8').on('data', (text: string) => {
        output += text;
        const match = /on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
        if (match) resolve(Number(match[1]));
      });
    });
    server.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
    try {
      const port = await withDeadline('the image server to say where it serves', serving, { context: () => lastLines('npm run ota -- serve', output) });
      const malformed = await get(port, '/%E0%A4%A');
      expect(malformed.status).toBe(400);
      expect(malformed.body).toMatch(/malformed percent-encoding/);
      expect(await get(port, '/altimeter.bin')).toEqual({ status: 200, body: 'firmware bytes' });
      expect(server.exitCode).toBeNull();
      expect(output).toContain('400 /%E0%A4%A');
    } finally {
      server.kill('SIGINT');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the live view of npm start', () => {
  it('redraws in place without clearing the screen each frame, and shows the cursor again after an uncaught exception', async () => {
    const crash = path.join(root, 'host-tests/support/live-view-crash.ts');
    const { status, stdout, stderr } = await tsx([crash]);
    expect(status).toBe(1);
    expect(stderr).toContain('boom: an uncaught exception while the live view is on screen');
    expect(stdout.split('\x1b[2J').length - 1).toBe(1); // the screen is cleared once, at the start
    expect(stdout.split('\x1b[H').length - 1).toBeGreaterThanOrEqual(2); // frames: cursor home, then overwrite
    expect(stdout).toContain('crash test\x1b[K\n'); // each line clears only what is left of it
    expect(stdout.indexOf('\x1b[?25l')).toBeGreaterThanOrEqual(0);
    expect(stdout.endsWith('\x1b[?25h')).toBe(true);
  });
});
