// npm start — the whole system on one computer: an embedded broker (or --broker), the sensor node on
// the Node adapters flying a simulated balloon, and the people on the ground as separate MQTT clients.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SensorNode } from '../src/app/node';
import { DEFAULT_CONFIG } from '../src/app/config';
import { nodeClock, scaledClock } from '../src/platform/node/clock';
import { JsonFileStore } from '../src/platform/node/file-store';
import { nodeSocketFactory } from '../src/platform/node/socket';
import { HostFlash } from '../src/platform/node/host-flash';
import { nodeHttpGet } from '../src/platform/node/http';
import { Updater } from '../src/ota/updater';
import { verifyP256Signature } from '../src/ota/p256';
import { FLIGHT_SCENARIOS, SimulatedBarometer, type FlightScenario } from '../src/sensor/simulated';
import { startEmbeddedBroker, type EmbeddedBroker } from './embedded-broker';
import { startGroundStation } from './ground-station';
import { LiveView } from './live-view';

const HELP = `npm start -- [options]

Runs the balloon altimeter system on this computer: a broker, the sensor node flying a simulated
balloon, and four subscribers (crew, air traffic control and maritime patrol on <id>/#, the news
station on <id>/emergency), showing what each receives.

  --broker URL      use this broker (mqtt://host:port or mqtts://host:port) instead of an embedded one
  --id NAME         device id, the first level of every topic (default sensor1)
  --scenario NAME   normal | crash | sensor-fault | outage   (default normal)
                    outage: a normal flight during which the broker disappears for two minutes
  --speed N         simulated time runs N times faster than real time (default 10)
  --duration S      stop by itself after S wall-clock seconds, as Ctrl-C would
  --json            print one JSON line per message received, nothing else
  --ota-key HEX     accept over-the-air updates signed with this P-256 public key (npm run ota -- keygen);
                    the simulated device then keeps two firmware slots under its state directory
  --state DIR       keep the node's settings and firmware slots here across runs (default: a fresh
                    temporary directory, removed at exit)
  --help            this text
`;

class UsageError extends Error {}

/** The version in package.json: the firmware version of a fresh simulated device. */
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

function parse() {
  try {
    return parseArgs({
      options: {
        broker: { type: 'string' },
        id: { type: 'string', default: 'sensor1' },
        scenario: { type: 'string', default: 'normal' },
        speed: { type: 'string', default: '10' },
        duration: { type: 'string' },
        json: { type: 'boolean', default: false },
        'ota-key': { type: 'string' },
        state: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function options() {
  const { values } = parse();
  const scenario = values.scenario!;
  if (scenario !== 'outage' && !FLIGHT_SCENARIOS.includes(scenario as FlightScenario)) {
    throw new UsageError(`unknown scenario "${scenario}": choose normal, crash, sensor-fault or outage`);
  }
  const speed = Number(values.speed);
  if (!(speed > 0 && speed <= 1000)) throw new UsageError(`--speed must be a number from 0 (exclusive) to 1000, not "${values.speed}"`);
  const duration = values.duration === undefined ? undefined : Number(values.duration);
  if (duration !== undefined && !(duration > 0)) throw new UsageError(`--duration must be a number of seconds above 0, not "${values.duration}"`);
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(values.id!)) throw new UsageError(`--id must be 1 to 32 letters, digits, "_" or "-", not "${values.id}"`);
  let broker: { host: string; port: number; tls: boolean } | undefined;
  if (values.broker) {
    const match = /^(mqtts?):\/\/([^:/]+)(?::(\d+))?\/?$/.exec(values.broker);
    if (!match) throw new UsageError(`--broker must look like mqtt://host:port or mqtts://host:port, not "${values.broker}"`);
    broker = { host: match[2], port: Number(match[3] ?? (match[1] === 'mqtts' ? 8883 : 1883)), tls: match[1] === 'mqtts' };
  }
  if (scenario === 'outage' && broker) throw new UsageError('the outage scenario needs the embedded broker (it switches it off and on): drop --broker');
  const otaKey = values['ota-key'];
  if (otaKey !== undefined && !/^04[0-9a-f]{128}$/.test(otaKey)) throw new UsageError('--ota-key must be an uncompressed P-256 public key: 130 hex digits starting 04 (ota-public.hex)');
  return { help: values.help!, json: values.json!, id: values.id!, scenario, speed, duration, broker, otaKey, state: values.state };
}

async function main(): Promise<void> {
  const opts = options();
  if (opts.help) {
    process.stdout.write(HELP);
    return;
  }
  const embedded: EmbeddedBroker | undefined = opts.broker ? undefined : await startEmbeddedBroker();
  const broker = opts.broker ?? { host: '127.0.0.1', port: embedded!.port, tls: false };
  const url = `${broker.tls ? 'mqtts' : 'mqtt'}://${broker.host}:${broker.port}`;
  const flightScenario: FlightScenario = opts.scenario === 'outage' ? 'normal' : (opts.scenario as FlightScenario);
  const clock = scaledClock(opts.speed);
  const startMs = clock.now();
  const mode = opts.json ? 'json' : process.stdout.isTTY ? 'screen' : 'lines';
  const view = new LiveView(mode, `Balloon altimeter ${opts.id} — scenario ${opts.scenario} — ${opts.speed}× — broker ${url}${embedded ? ' (embedded Aedes)' : ''}`, startMs, 10_000 * Math.max(1, opts.speed / 10));
  view.broker(embedded ? 'up (embedded)' : `external ${url}`);

  const storeDir = opts.state ?? mkdtempSync(path.join(os.tmpdir(), 'altimeter-sim-'));
  const store = new JsonFileStore(path.join(storeDir, `${opts.id}.json`));
  const flash = new HostFlash(path.join(storeDir, 'flash'), packageVersion());
  const barometer = new SimulatedBarometer({ clock, scenario: flightScenario, startMs });
  let node: SensorNode;
  // A restart of the simulated device: the node stops, the "bootloader" picks the image, a new node starts.
  const restart = (resetReason: string) => {
    void node.stop().then(() => {
      flash.restart();
      startNode(resetReason);
    });
  };
  const updaterFor = (currentVersion: string) =>
    opts.otaKey === undefined
      ? undefined
      : new Updater({
          device: {
            publicKey: new Uint8Array(Buffer.from(opts.otaKey, 'hex')),
            board: 'host-simulation',
            currentVersion,
            partitionBytes: flash.capacityBytes,
            verifySignature: verifyP256Signature,
          },
          slot: flash.slot,
          boot: {
            get pendingVerify() {
              return flash.boot.pendingVerify;
            },
            get otherImageRejected() {
              return flash.boot.otherImageRejected;
            },
            markValid: () => flash.boot.markValid(),
            rollback: () => {
              view.event('new firmware failed its self-test: rolling back');
              void node.stop().then(() => {
                flash.boot.rollback(); // marks it aborted and boots the previous image
                startNode('rollback');
              });
            },
          },
          http: nodeHttpGet,
          clock: nodeClock,
          store,
          reboot: () => {
            node.saveState();
            view.event('rebooting into the new firmware');
            restart('ota');
          },
          log: (line) => view.event(line),
        });
  const startNode = (resetReason: string) => {
    const firmwareVersion = flash.runningVersion;
    node = new SensorNode({
      broker: { host: broker.host, port: broker.port, tls: broker.tls ? {} : undefined },
      clock,
      networkClock: nodeClock,
      socket: nodeSocketFactory,
      store,
      openBarometer: () => barometer,
      system: {
        firmwareVersion,
        board: 'host-simulation',
        resetReason,
        reboot: () => {
          view.event('node rebooting (reboot command)');
          restart('software');
        },
      },
      ota: updaterFor(firmwareVersion),
      defaults: { ...DEFAULT_CONFIG, deviceId: opts.id },
      log: (line) => (line.startsWith('sensor fault') ? view.event(`node: ${line}`) : undefined),
      onReading: (reading) => view.reading(reading, barometer.flight.at(reading.timestampMs).phase, { size: node.outbox.size, dropped: node.outbox.dropped }),
    });
    node.start();
  };
  startNode('power-on');

  const subscribers = startGroundStation({
    deviceId: opts.id, host: broker.host, port: broker.port, tls: broker.tls ? {} : undefined, socket: nodeSocketFactory, clock: nodeClock,
    onMessage: (subscriber, message) => view.message(subscriber, message),
  });
  view.watch(subscribers);
  // The crew checks the node answers, as they would before launch.
  subscribers[0].client.on('connect', () => subscribers[0].client.publish(`${opts.id}/cmd/ping`, '{"id":"preflight"}', 1));

  const timers: NodeJS.Timeout[] = [];
  if (opts.scenario === 'outage' && embedded) {
    const atSim = (simS: number, action: () => void) => timers.push(setTimeout(action, (simS * 1000) / opts.speed));
    atSim(120, () => void embedded.goDown().then(() => view.broker('DOWN (outage: the node keeps its readings in the outbox)')));
    atSim(240, () => void embedded.comeBack().then(() => view.broker('back up: the backlog is being delivered')));
  }

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    for (const t of timers) clearTimeout(t);
    await node.stop(); // publishes offline (acknowledged), then DISCONNECT
    await new Promise((r) => setTimeout(r, 200)); // let "offline" reach the subscribers
    for (const s of subscribers) s.client.end();
    view.close();
    await embedded?.close();
    if (!opts.state) rmSync(storeDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  if (opts.duration) timers.push(setTimeout(() => void stop(), opts.duration * 1000));
}

main().catch((error: Error) => {
  process.stderr.write(`${error instanceof UsageError ? '' : 'error: '}${error.message}\n${error instanceof UsageError ? 'npm start -- --help lists the options\n' : ''}`);
  process.exit(2);
});
