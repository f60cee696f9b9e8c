import { describe, expect, it } from 'vitest';
import * as scenarios from '../xs/scenarios/sensor-stack';
import { runOnXs } from '../xs/run-scenario';

const file = new URL('../xs/scenarios/sensor-stack.ts', import.meta.url).pathname;

describe('the sensor stack on the XS engine', () => {
  it('gives the datasheet results on Node', () => {
    const result = scenarios.datasheetExamples();
    expect(result.bmp280).toEqual([2508, 128422, 25767233]);
    expect(result.ms5611).toEqual({ centiC: 2007, pressurePa: 100009 });
  });

  it('recovers from every injected fault on Node, reporting each', () => {
    const log = scenarios.faultsAndRecovery();
    for (const fault of ['NACK', 'CHIP_RESET', 'ALL_ONES', 'STUCK']) expect(log.some((l) => l.includes(` ${fault} `))).toBe(true);
    expect(log.at(-1)).toMatch(/^79 ok {2}-?\d/);
  });

  it.each(Object.keys(scenarios))('%s gives the same result on XS as on Node', async (name) => {
    const onNode = JSON.parse(JSON.stringify((scenarios as Record<string, () => unknown>)[name]()));
    const { value } = await runOnXs(file, name);
    expect(value).toEqual(onNode);
  });
});
