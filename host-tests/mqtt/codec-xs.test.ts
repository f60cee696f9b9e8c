import { describe, expect, it } from 'vitest';
import codecOnBothEngines from '../xs/scenarios/mqtt-codec';
import { runOnXs } from '../xs/run-scenario';

describe('the codec on the XS engine', () => {
  it('encodes, decodes, splits and rejects exactly as on Node', async () => {
    const onNode = codecOnBothEngines();
    expect(onNode.split).toBe(onNode.encoded.length);
    expect(onNode.errors.every((e) => !e.startsWith('UNTYPED') && e !== 'accepted')).toBe(true);
    const { value } = await runOnXs(new URL('../xs/scenarios/mqtt-codec.ts', import.meta.url).pathname);
    expect(value).toEqual(onNode);
  });
});
