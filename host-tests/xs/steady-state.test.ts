// The README's allocation figures, measured on the real XS engine and pinned: these fail when the
// hot paths start allocating more. measureSteadyStateOnXs never clamps: a garbage collection inside
// the measured window makes it measure again, or fail, rather than read zero.
import { describe, expect, it } from 'vitest';
import { measureSteadyStateOnXs } from './run-scenario';

const scenario = (name: string) => new URL(`./scenarios/${name}.ts`, import.meta.url).pathname;

describe('allocation on the steady-state hot paths (XS heap slots, README "The MQTT client")', () => {
  it.each([0, 1] as const)('a QoS %i publish (with its PUBACK for QoS 1) allocates no heap slot', async (qos) => {
    const measured = await measureSteadyStateOnXs(scenario('publish-steady-state'), { setupArgs: [qos], iterations: 500 });
    expect(measured.iterations).toBeGreaterThanOrEqual(10);
    expect(measured.slotsPerStep).toBe(0);
    expect(measured.bytesPerStep).toBe(0);
  });

  it('a whole sample cycle of the node allocates at most its 19 slots: the two payloads (the outbox keeps its record on flash)', async () => {
    const cycle = await measureSteadyStateOnXs(scenario('node-flight'), { iterations: 200, warmup: 30 });
    expect(cycle.slotsPerStep).toBeGreaterThan(0); // the payloads are new each cycle: a zero would be a broken measurement
    // 18 a cycle, and a fraction more: every 99th reading opens a new flash sector (a 4 KB read to check it is blank).
    expect(cycle.slotsPerStep).toBeLessThanOrEqual(19);
  });
});
