// The node as the soak runs it: a process of its own (so that the soak can kill it with SIGKILL, a
// power loss), on the Node adapters, its outbox log and settings in a state directory, flying a long
// simulated flight on a shared timeline so that a restarted process picks the flight up where it was.
// It reports on stdout, one JSON object a line: {"ev":"start"|"stat"|"emergency"|"connect"|"disconnect", …}.
// Started by host/soak.ts, not by hand.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SensorNode } from '../src/app/node';
import { DEFAULT_CONFIG } from '../src/app/config';
import { scaledClock } from '../src/platform/node/clock';
import { FileFlash } from '../src/platform/node/file-flash';
import { JsonFileStore } from '../src/platform/node/file-store';
import { nodeSocketFactory } from '../src/platform/node/socket';
import type { Barometer } from '../src/sensor/barometer';
import { flyScenario, type ScenarioName } from '../src/sim/scenarios';
import type { SimulatedBarometer } from '../src/sim/simulated-barometer';
import type { Clock } from '../src/ports';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    state: { type: 'string' },
    speed: { type: 'string' },
    'sim-start': { type: 'string' },
    'wall-start': { type: 'string' },
    id: { type: 'string', default: 'sensor1' },
    seed: { type: 'string', default: '1' },
  },
});
const flightSeed = Number(values.seed);
const speed = Number(values.speed);
const simStart = Number(values['sim-start']);
const wallStart = Number(values['wall-start']);
const stateDir = values.state!;

/** The flights, one after another, for as long as the soak lasts: a crash first, so emergencies come early. */
const FLIGHTS: { scenario: ScenarioName; minutes: number }[] = [
  { scenario: 'crash', minutes: 12 },
  { scenario: 'normal', minutes: 70 },
  { scenario: 'sensor-fault', minutes: 70 },
];
const CYCLE_MS = FLIGHTS.reduce((sum, f) => sum + f.minutes * 60_000, 0);

/** The barometer of whichever flight the shared timeline is in. */
class LongFlight implements Barometer {
  readonly chip = 'SIMULATED' as const;
  readonly address = 0;
  readonly #clock: Clock;
  #current: { startMs: number; barometer: SimulatedBarometer } | undefined;
  constructor(clock: Clock) {
    this.#clock = clock;
  }
  #barometer(): SimulatedBarometer {
    const elapsed = this.#clock.now() - simStart;
    const cycle = Math.floor(elapsed / CYCLE_MS);
    let startMs = simStart + cycle * CYCLE_MS;
    let flight = FLIGHTS[0];
    let index = 0;
    for (const [i, f] of FLIGHTS.entries()) {
      flight = f;
      index = i;
      if (this.#clock.now() < startMs + f.minutes * 60_000) break;
      startMs += f.minutes * 60_000;
    }
    if (this.#current?.startMs !== startMs) {
      // Each flight its own wind and noise, from the soak's seed: the same seed flies the same flights.
      const seed = flightSeed * 1000 + cycle * FLIGHTS.length + index;
      this.#current = { startMs, barometer: flyScenario(flight.scenario, this.#clock, { seed, startMs, launchElevationM: 0 }).barometer };
    }
    return this.#current.barometer;
  }
  sample() {
    return this.#barometer().sample();
  }
  reinitialize() {
    this.#barometer().reinitialize();
  }
  close() {}
}

const emit = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ ...event, wallMs: Date.now() })}\n`);

// The node's time: the soak's timeline, N times faster than the wall clock, network timers included
// (keepalive and backoff shrink with --speed, so faults the size of a keepalive stay short).
const clock = scaledClock(speed, simStart + (Date.now() - wallStart) * speed);
const node = new SensorNode({
  broker: { host: '127.0.0.1', port: Number(values.port) },
  clock,
  socket: nodeSocketFactory,
  store: new JsonFileStore(path.join(stateDir, 'settings.json')),
  outboxFlash: new FileFlash(path.join(stateDir, 'outbox.bin')),
  openBarometer: () => new LongFlight(clock),
  system: { firmwareVersion: '0.1.0', board: 'soak', resetReason: 'power-on', reboot: () => {} },
  defaults: { ...DEFAULT_CONFIG, deviceId: values.id! },
  onEmergency: (payload) => emit({ ev: 'emergency', ...(JSON.parse(payload) as object) }),
});
emit({ ev: 'start', boot: node.boot, lastSeq: node.seq, replayed: node.outbox.replayed });
node.client.on('connect', () => emit({ ev: 'connect' }));
node.client.on('disconnect', (error) => emit({ ev: 'disconnect', reason: error?.message ?? '' }));
const stat = () =>
  emit({ ev: 'stat', boot: node.boot, seq: node.seq, outbox: node.outbox.size, dropped: node.outbox.dropped, rss: process.memoryUsage().rss, connected: node.client.connected });
node.start();
setInterval(stat, 100);
process.on('SIGTERM', () => {
  stat();
  void node.stop(2000).then(() => {
    stat();
    process.exit(0);
  });
});
