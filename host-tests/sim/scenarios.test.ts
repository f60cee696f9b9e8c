// Every named flight raises exactly the emergencies it should, within the detection budgets, on Node
// and on the XS engine (the same result on both). The flights come from the physical model
// (src/sim/), through the simulated chip, the Altimeter and the EmergencyMonitor.
import { describe, expect, it } from 'vitest';
import { scenario, SCENARIO_NAMES } from '../../src/sim/scenarios';
import { DEFAULT_CONFIG } from '../../src/app/config';
import { runOnXs } from '../xs/run-scenario';
import { namedScenario } from '../xs/scenarios/flight-scenarios';

const file = new URL('../xs/scenarios/flight-scenarios.ts', import.meta.url).pathname;
type Result = ReturnType<typeof namedScenario>;

/**
 * The budgets of the issue: rapid-descent ≤ 3 s after its debounce can first be satisfied, crash ≤ 10 s
 * after impact — or, when the sensor was silent through the impact, ≤ 10 s after it answers again.
 */
function expectRightEmergencies(name: (typeof SCENARIO_NAMES)[number], result: Result): void {
  const expected = scenario(name).expected;
  expect([...result.raised].sort()).toEqual([...expected].sort());
  const raisedAt = (kind: string) => Number(result.events.find((e) => e.endsWith(`${kind} raised`))!.split(' ')[0]);
  if (expected.includes('crash')) {
    expect(result.impactAtS).toBeGreaterThan(0);
    expect(raisedAt('crash') - result.impactAtS).toBeGreaterThanOrEqual(0);
    expect(raisedAt('crash') - Math.max(result.impactAtS, result.heardAfterImpactS)).toBeLessThanOrEqual(10);
  }
  if (expected.includes('rapid-descent')) {
    expect(result.rapidDescentDueS).toBeGreaterThan(0);
    expect(raisedAt('rapid-descent') - result.rapidDescentDueS).toBeLessThanOrEqual(3);
    // … and never before the truth could justify it (minus one sample of timing).
    expect(raisedAt('rapid-descent')).toBeGreaterThanOrEqual(result.rapidDescentDueS - DEFAULT_CONFIG.emergency.rapidDescentForS);
  }
}

describe('named flights: exactly the right emergencies, in time, on Node and on XS', () => {
  it.each(SCENARIO_NAMES)('%s', async (name) => {
    const onNode = namedScenario(name);
    expectRightEmergencies(name, onNode);
    const { value } = await runOnXs(file, 'namedScenario', [name]);
    expectRightEmergencies(name, value as Result);
    expect(value).toEqual(JSON.parse(JSON.stringify(onNode)));
  }, 180_000);
});
