// npm run bench (node part): the sensor node's sample cycle (sample → encode → write → PUBACK) on the
// XS engine, and the altitude filter's accuracy on synthetic flights.
import path from 'node:path';
import { measureSteadyStateOnXs } from '../../host-tests/xs/run-scenario';
import { scoreOnFlight, stepLagS } from '../../host-tests/fakes/synthetic-flight';
import { printTable, type Row } from './report';

export async function benchNode(): Promise<Row[]> {
  const scenario = path.resolve(import.meta.dirname, '../../host-tests/xs/scenarios/node-flight.ts');
  const cycle = await measureSteadyStateOnXs(scenario, { iterations: 200, warmup: 30 });
  // The payloads of one cycle: the altitude text and the telemetry JSON, each a Uint8Array with its
  // ArrayBuffer (7 heap slots together on XS), plus the outbox's record of the telemetry.
  const rows: Row[] = [
    { name: 'XS: computrons per sample cycle', ours: cycle.computronsPerStep, reference: undefined, unit: '', better: 'lower', goal: '≤ 3,000' },
    { name: 'XS: heap slots per sample cycle', ours: cycle.slotsPerStep, reference: undefined, unit: 'slots', better: 'lower', goal: 'payloads + outbox record only' },
    { name: 'XS: heap bytes per sample cycle', ours: cycle.bytesPerStep, reference: undefined, unit: 'B', better: 'lower' },
  ];
  printTable('Sensor node sample cycle on the XS engine (32-byte slots; string and buffer bodies not counted)', rows);
  const filterRows: Row[] = [];
  for (const processNoise of [0.05, 0.5, 5]) {
    const options = { processNoise, measurementNoiseM: 0.5 };
    const normal = scoreOnFlight('normal', options);
    const crash = scoreOnFlight('crash', options);
    filterRows.push(
      { name: `Kalman q=${processNoise}: RMS altitude error, normal flight`, ours: normal.rmsAltitudeErrorM, reference: normal.rawNoiseM, unit: 'm', better: 'lower', goal: 'below the raw noise' },
      { name: `Kalman q=${processNoise}: RMS vertical speed error, normal`, ours: normal.rmsVerticalSpeedErrorMps, reference: undefined, unit: 'm/s', better: 'lower' },
      { name: `Kalman q=${processNoise}: RMS vertical speed error, crash`, ours: crash.rmsVerticalSpeedErrorMps, reference: undefined, unit: 'm/s', better: 'lower' },
      { name: `Kalman q=${processNoise}: lag to 63 % of a 3 m/s step`, ours: stepLagS(options), reference: undefined, unit: 's', better: 'lower' },
    );
  }
  printTable('Altitude filter on synthetic flights at 1 Hz, measurement noise 0.5 m (reference: the raw measurement)', filterRows);
  return [...rows, ...filterRows];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchNode();
}
