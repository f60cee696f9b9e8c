import { describe, expect, it } from 'vitest';
import { crashFlightWithOutage } from '../xs/scenarios/node-flight';
import { runOnXs } from '../xs/run-scenario';

describe('the whole sensor node on the XS engine', () => {
  it('flies a crash with a broker outage on fake ports: nothing lost, crash raised, same result as on Node', async () => {
    const onNode = crashFlightWithOutage();
    expect(onNode).toMatchObject({ telemetryCount: 420, inOrderWithoutGaps: true, lastSeq: 420, outboxAtEnd: 0, outboxFilledDuringOutage: true });
    expect(onNode.emergencies).toContain('crash:true');
    const { value } = await runOnXs(new URL('../xs/scenarios/node-flight.ts', import.meta.url).pathname, 'crashFlightWithOutage');
    expect(value).toEqual(onNode);
  });
});
