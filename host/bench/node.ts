// npm run bench (node part): the sensor node's sample cycle (sample → encode → write → PUBACK) on the
// XS engine, and the altitude filter's accuracy on the flight model's flights.
import path from 'node:path';
import { measureSteadyStateOnXs } from '../../host-tests/xs/run-scenario';
import { checkFlight } from '../../src/sim/flight-check';
import { scenario as flight } from '../../src/sim/scenarios';
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
  printTable(
    'Sensor node sample cycle on the XS engine: the node\'s own work on a replayed flight; its outbox on the SDK flash emulator in its native-cost mode ' +
      '(erased bytes programmed with one set(), like the device\'s native flash.write, same results; its argument checks, some 850 computrons a cycle, are still counted) ' +
      '(32-byte slots; string and buffer bodies not counted)',
    rows,
  );
  const filterRows: Row[] = [];
  for (const processNoise of [0.05, 0.5, 5]) {
    const normal = checkFlight(flight('normal'), { kalman: { processNoise } });
    const crash = checkFlight(flight('crash'), { kalman: { processNoise } });
    filterRows.push(
      { name: `Kalman q=${processNoise}: RMS vertical speed error, normal flight`, ours: normal.rmsSpeedErrorMps, reference: undefined, unit: 'm/s', better: 'lower' },
      { name: `Kalman q=${processNoise}: RMS vertical speed error, crash flight`, ours: crash.rmsSpeedErrorMps, reference: undefined, unit: 'm/s', better: 'lower' },
      { name: `Kalman q=${processNoise}: worst vertical speed error, crash flight`, ours: crash.worstSpeedErrorMps, reference: undefined, unit: 'm/s', better: 'lower' },
    );
  }
  printTable('Altitude filter on the model flights at 1 Hz through a simulated BMP280 (errors against the true vertical speed; the two readings after the tear and after the impact left out)', filterRows);
  return [...rows, ...filterRows];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchNode();
}
