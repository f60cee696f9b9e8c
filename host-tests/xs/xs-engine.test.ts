import { describe, expect, it } from 'vitest';
import { measureSteadyStateOnXs, runOnNode, runOnXs, XsMeasurementError, XsScenarioError } from './run-scenario';

const scenario = (name: string) => new URL(`./scenarios/${name}.ts`, import.meta.url).pathname;

describe('the XS engine runner', () => {
  it('gives identical results on Node and on XS for the same scenario', async () => {
    const onXs = await runOnXs(scenario('engine-basics'));
    const onNode = await runOnNode(scenario('engine-basics'));
    expect(onXs.value).toEqual(onNode);
    expect(onXs.meter.computrons).toBeGreaterThan(0);
  });

  it('reports the same computron count for the same work (the meter is deterministic)', async () => {
    const first = await runOnXs(scenario('engine-basics'));
    const second = await runOnXs(scenario('engine-basics'));
    expect(second.meter.computrons).toBe(first.meter.computrons);
  });

  it('settles async scenarios before answering', async () => {
    expect((await runOnXs(scenario('engine-basics'), 'asyncValue')).value).toBe(42);
  });

  it('passes a thrown error back with its message', async () => {
    await expect(runOnXs(scenario('engine-basics'), 'throwsTyped')).rejects.toThrow(/bad remaining length/);
  });

  it.each(['Buffer', 'process'])('fails clearly when a scenario touches the Node-only global %s', async (name) => {
    const error = await runOnXs(scenario(`uses-${name.toLowerCase()}`)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(XsScenarioError);
    expect((error as XsScenarioError).code).toBe('NODE_ONLY_GLOBAL');
    expect((error as Error).message).toContain(`uses ${name}, a Node-only global`);
  });

  it('refuses to bundle a scenario that imports node:*', async () => {
    const error = await runOnXs(scenario('imports-node')).catch((e: unknown) => e);
    expect((error as XsScenarioError).code).toBe('NODE_ONLY_IMPORT');
    expect((error as Error).message).toContain('"node:fs"');
  });

  it('measures heap allocation per step: none for a reused buffer, two slots for a small array', async () => {
    const reused = await measureSteadyStateOnXs(scenario('engine-basics'));
    const allocating = await measureSteadyStateOnXs(scenario('engine-basics'), { step: 'allocatingStep' });
    expect(reused.slotsPerStep).toBe(0);
    expect(allocating.slotsPerStep).toBeGreaterThanOrEqual(1);
  });

  it('reports no figure when a garbage collection runs inside every measured window', async () => {
    const error = await measureSteadyStateOnXs(scenario('engine-basics'), { step: 'collectingStep' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(XsMeasurementError);
    expect((error as Error).message).toMatch(/a garbage collection ran inside every measured window of collectingStep/);
  });
});

describe('core error classes on a frozen Error.prototype (as Moddable preloads them)', () => {
  it('construct without assigning over the frozen name', async () => {
    const { value } = await runOnXs(new URL('./scenarios/frozen-errors.ts', import.meta.url).pathname);
    expect(value).toEqual([
      'ProtocolError: bad [MQTT-1]',
      'UsageError: bad',
      'ConnectionRefusedError: the broker refused the connection: not authorized (a wrong user name or password, or the broker does not allow this client: check the credentials)',
      'SensorFault: gone',
      'OtaError: no',
      'Error: bad config',
    ]);
  });
});
