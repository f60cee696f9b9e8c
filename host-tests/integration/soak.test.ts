// `npm run soak` as a user runs it, short: 20 faults of every kind against a real Mosquitto with the
// node as its own process (killed with SIGKILL for a power loss). Nothing may be lost. The full 200
// faults take longer (README: "The fault soak"); run them with `npm run soak`.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { SoakResult } from '../../host/soak';

const run = promisify(execFile);
const soak = ['node_modules/.bin/tsx', 'host/soak.ts'];

describe('npm run soak', () => {
  it('loses no reading and no emergency through 20 faults of every kind, and says so', async () => {
    const { stdout } = await run(soak[0], [soak[1], '--faults', '20', '--seed', '7', '--speed', '20', '--json'], { timeout: 300_000 });
    const result = JSON.parse(stdout) as SoakResult;
    expect(Object.keys(result.faults)).toHaveLength(9);
    expect(Object.values(result.faults).reduce((a, b) => a + b, 0)).toBe(20);
    expect(result.telemetry.published).toBeGreaterThan(300);
    expect(result.telemetry).toMatchObject({ lost: 0, conflicting: 0 });
    expect(result.telemetry.received).toBe(result.telemetry.published);
    expect(result.emergencies.missing).toBe(0);
    expect(result.unrecovered).toBe(0);
    expect(result.nodeStarts).toBeGreaterThanOrEqual(3); // the node really lost power, twice at least
    expect(result.ok).toBe(true);
    console.log(`short soak: ${JSON.stringify(result)}`);
  }, 300_000);

  it('explains bad options on one line, then the usage, exit status 2; --help goes to stdout', async () => {
    for (const [args, message] of [
      [['--faults', '0'], '--faults must be a whole number from 1 to 100000, not "0"'],
      [['--seed=-1'], '--seed must be a whole number'],
      [['--speed', 'fast'], '--speed must be a number from 1 to 100, not "fast"'],
      [['--kinds', '3,12'], '--kinds must list fault kinds by number, 1 to 9'],
      [['--colour', 'red'], "Unknown option '--colour'"],
    ] as const) {
      const error = (await run(soak[0], [soak[1], ...args], { timeout: 60_000 }).catch((e: unknown) => e)) as { code: number; stderr: string };
      expect(error.code).toBe(2);
      expect(error.stderr).toContain(message);
      expect(error.stderr).toContain('npm run soak -- [options]'); // the usage follows the reason
    }
    const { stdout } = await run(soak[0], [soak[1], '--help']);
    for (const option of ['--faults', '--seed', '--speed', '--kinds', '--json', 'kill -9', 'black hole']) expect(stdout).toContain(option);
  }, 120_000);
});
