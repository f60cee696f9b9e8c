// npm start — the whole system on one computer: an embedded broker (or --broker), the sensor node on
// the Node adapters flying a simulated balloon (or, with --device sim, the real firmware in the
// Moddable desktop simulator), and the people on the ground as separate MQTT clients.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SensorNode } from '../src/app/node';
import { DEFAULT_CONFIG } from '../src/app/config';
import { nodeClock, scaledClock } from '../src/platform/node/clock';
import { JsonFileStore } from '../src/platform/node/file-store';
import { nodeSocketFactory } from '../src/platform/node/socket';
import { HostFlash } from '../src/platform/node/host-flash';
import { FileFlash } from '../src/platform/node/file-flash';
import { nodeHttpGet } from '../src/platform/node/http';
import { Updater } from '../src/ota/updater';
import { isDeviceId } from '../src/app/topics';
import { FlightFileError, parseFlightCsv, RecordedFlight, type RecordedFlightData } from '../src/sim/recorded-flight';
import { flyScenario, isScenarioName, SCENARIO_NAMES, SCENARIO_SUMMARIES, type ScenarioName } from '../src/sim/scenarios';
import { SimulatedBarometer } from '../src/sim/simulated-barometer';
import { accountFor, generateAccounts, readCredentials, SEATS, seatAccounts, type Logins } from './broker/accounts';
import type { Account } from './broker/policy';
import { startEmbeddedBroker, type EmbeddedBroker, type Refusal } from './embedded-broker';
import { startGroundStation, type Subscriber } from './ground-station';
import { LiveView } from './live-view';
import { startWebServer, WebPortInUseError, type WebServer, type WebServerOptions } from './web/server';
import { startSimDevice, type SimDevice } from './devices/sim-device';
import { parseCommandLine, printHelp, runCommand, UsageError, wantsHelp } from './command-line';

const HELP = `usage: npm start -- [options]

Runs the balloon altimeter system on this computer: a broker, the sensor node flying a simulated
balloon, and four subscribers (crew, air traffic control and maritime patrol on <id>/#, the news
station on <id>/emergency), showing what each receives. The embedded broker enforces the access
policy with accounts made for the run; the news station also tries <id>/altitude and is refused.

  --device KIND     node: the core on Node's adapters, in this process (default)
                    sim:  the real firmware, built with the Moddable SDK and running in its desktop
                          simulator (mcsim), with a pane to fly the balloon and a status screen;
                          in real time; headless under Xvfb when there is no $DISPLAY
  --broker URL      use this broker (mqtt://host:port or mqtts://host:port) instead of an embedded one
  --credentials FILE  log in to --broker with the accounts in FILE: parties.json from
                    \`npm run broker -- config\` (the node and every party), or {"username","password"}
                    (the node only)
  --username NAME   log the node in to --broker as NAME ...
  --password TEXT   ... with this password (visible to other users in the process list: prefer
                    --credentials)
  --id NAME         device id, the first level of every topic (default sensor1)
  --scenario NAME   the flight (default normal), from a physical model of the balloon:
${SCENARIO_NAMES.map((name) => `                      ${name.padEnd(20)}${SCENARIO_SUMMARIES[name]}`).join('\n')}
                      outage              the normal flight; the broker is down from 2:00 to 4:00
                      manual              (--device sim) on the ground until you fly it from the pane
  --seed N          seed of the flight's wind and the sensor's noise (default 1): the same seed
                    flies the same flight
  --flight FILE     replay a recorded flight instead: CSV with a header row t_s,altitude_m and
                    optionally temperature_c (seconds from the start, metres above the launch site);
                    interpolated, measured by the same simulated chip; the last altitude holds;
                    with --device sim the firmware replays it (the pane's flight "replay")
  --speed N         simulated time runs N times faster than real time (default 10; --device node only)
  --duration S      stop by itself after S wall-clock seconds, as Ctrl-C would
  --json            print one JSON line per message received, nothing else
  --ota-key HEX     accept over-the-air updates signed with this P-256 public key (npm run ota -- keygen);
                    the simulated device then keeps two firmware slots under its state directory
  --state DIR       keep the node's settings, its outbox log and firmware slots here across runs
                    (default: a fresh temporary directory, removed at exit)
  --web-port N      serve the ground station page on http://127.0.0.1:N/ (default 8080, or a free
                    port when 8080 is taken; 0 always picks a free one)
  --ws-url URL      with --broker: the broker's MQTT-over-WebSocket listener the page connects to
                    (default ws://HOST:9001/mqtt, wss:// for an mqtts:// broker)
  --help            this text
`;

/** The version in package.json: the firmware version of a fresh simulated device. */
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

function parse() {
  return parseCommandLine({
    options: {
      device: { type: 'string', default: 'node' },
      broker: { type: 'string' },
      id: { type: 'string', default: 'sensor1' },
      scenario: { type: 'string' },
      seed: { type: 'string', default: '1' },
      flight: { type: 'string' },
      speed: { type: 'string' },
      duration: { type: 'string' },
      json: { type: 'boolean', default: false },
      'ota-key': { type: 'string' },
      credentials: { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
      state: { type: 'string' },
      'web-port': { type: 'string' },
      'ws-url': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
}

function options() {
  const { values } = parse();
  const device = values.device!;
  if (device !== 'node' && device !== 'sim') throw new UsageError(`--device must be node or sim, not "${device}"`);
  const scenario = values.scenario ?? 'normal';
  if (scenario === 'manual' && device !== 'sim') throw new UsageError('the manual scenario is flown from the simulator pane: add --device sim');
  if (scenario !== 'outage' && scenario !== 'manual' && !isScenarioName(scenario)) {
    throw new UsageError(`unknown scenario "${scenario}": choose ${SCENARIO_NAMES.join(', ')} or outage (or manual with --device sim)`);
  }
  if (device === 'sim') {
    // The firmware keeps its own time and has no firmware slots.
    if (values.speed !== undefined) throw new UsageError('--speed needs --device node: the firmware in the simulator runs in real time');
    if (values['ota-key'] !== undefined) throw new UsageError('--ota-key needs --device node: the desktop simulator has no firmware slots to update');
    if (values.state !== undefined) throw new UsageError('--state needs --device node: the firmware in the simulator keeps its settings in its own preferences');
  }
  if (values.flight !== undefined && values.scenario !== undefined) throw new UsageError('give --scenario or --flight, not both: a replayed flight is its own scenario');
  const seed = Number(values.seed);
  if (!(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32)) throw new UsageError(`--seed must be a whole number from 0 to 4294967295, not "${values.seed}"`);
  const speed = Number(values.speed ?? (device === 'sim' ? '1' : '10'));
  if (!(speed > 0 && speed <= 1000)) throw new UsageError(`--speed must be a number from 0 (exclusive) to 1000, not "${values.speed}"`);
  const duration = values.duration === undefined ? undefined : Number(values.duration);
  if (duration !== undefined && !(duration > 0)) throw new UsageError(`--duration must be a number of seconds above 0, not "${values.duration}"`);
  if (!isDeviceId(values.id!)) throw new UsageError(`--id must be 1 to 32 letters, digits, "_" or "-", not "${values.id}"`);
  let broker: { host: string; port: number; tls: boolean } | undefined;
  if (values.broker) {
    const match = /^(mqtts?):\/\/([^:/]+)(?::(\d+))?\/?$/.exec(values.broker);
    if (!match) throw new UsageError(`--broker must look like mqtt://host:port or mqtts://host:port, not "${values.broker}"`);
    broker = { host: match[2], port: Number(match[3] ?? (match[1] === 'mqtts' ? 8883 : 1883)), tls: match[1] === 'mqtts' };
  }
  if (scenario === 'outage' && broker) throw new UsageError('the outage scenario needs the embedded broker (it switches it off and on): drop --broker');
  if ((values.username === undefined) !== (values.password === undefined)) throw new UsageError('--username and --password go together');
  if (values.credentials !== undefined && values.username !== undefined) throw new UsageError('give --credentials or --username/--password, not both');
  if ((values.credentials !== undefined || values.username !== undefined) && !broker) {
    throw new UsageError('--credentials, --username and --password go with --broker: the embedded broker makes its own accounts for each run');
  }
  const otaKey = values['ota-key'];
  if (otaKey !== undefined && !/^04[0-9a-f]{128}$/.test(otaKey)) throw new UsageError('--ota-key must be an uncompressed P-256 public key: 130 hex digits starting 04 (ota-public.hex)');
  const webPortText = values['web-port'];
  const webPort = webPortText === undefined ? undefined : Number(webPortText);
  if (webPort !== undefined && !(Number.isInteger(webPort) && webPort >= 0 && webPort <= 65535)) throw new UsageError(`--web-port must be a port number from 0 to 65535, not "${webPortText}"`);
  const wsUrl = values['ws-url'];
  if (wsUrl !== undefined) {
    if (!broker) throw new UsageError('--ws-url goes with --broker: the embedded broker has its own WebSocket listener');
    if (!/^wss?:\/\/[^/\s]+(\/\S*)?$/.test(wsUrl)) throw new UsageError(`--ws-url must look like ws://host:port/path or wss://host:port/path, not "${wsUrl}"`);
  }
  return {
    json: values.json!, device, id: values.id!, scenario, seed, flightFile: values.flight, speed, duration, broker, otaKey, state: values.state, webPort, wsUrl,
    credentialsFile: values.credentials,
    login: values.username === undefined ? undefined : { username: values.username, password: values.password! },
  };
}

/** Who logs in as what: the embedded broker's accounts for this run, or the ones the user gave for --broker. */
function logins(opts: ReturnType<typeof options>, embeddedAccounts: Account[] | undefined): Logins {
  if (embeddedAccounts) {
    const accounts = { accounts: embeddedAccounts };
    const device = accountFor(accounts, 'device', opts.id)!;
    return { device: { username: device.username, password: device.password }, ground: seatAccounts(accounts, SEATS.groundStation), page: seatAccounts(accounts, SEATS.page) };
  }
  if (opts.credentialsFile) {
    try {
      return readCredentials(opts.credentialsFile, opts.id);
    } catch (error) {
      throw new UsageError(`--credentials: ${(error as Error).message}`);
    }
  }
  return { device: opts.login, ground: {}, page: {} };
}

async function main(): Promise<number | void> {
  if (wantsHelp(process.argv.slice(2))) return printHelp(HELP);
  const opts = options();
  // A recorded flight is read, and refused with the line and column of its first problem, before anything starts.
  // The same check for both devices: the firmware in mcsim parses the same text with the same parser.
  const recording = opts.flightFile === undefined ? undefined : readFlightFile(opts.flightFile);
  // The seats of this run's programs (SEATS): the terminal ground station and the page, so neither
  // cuts the other off the broker. The accounts end with the run: no update is pushed through them.
  const embeddedAccounts = opts.broker ? undefined : generateAccounts([opts.id], SEATS.page);
  const who = logins(opts, embeddedAccounts);
  const refusals: Refusal[] = []; // the view exists only once the broker runs
  let onRefused = (refusal: Refusal) => void refusals.push(refusal);
  const embedded: EmbeddedBroker | undefined = embeddedAccounts
    ? await startEmbeddedBroker({ access: { fleet: [opts.id], accounts: embeddedAccounts, onRefused: (r) => onRefused(r) } })
    : undefined;
  const broker = opts.broker ?? { host: '127.0.0.1', port: embedded!.port, tls: false };
  const url = `${broker.tls ? 'mqtts' : 'mqtt'}://${broker.host}:${broker.port}`;
  const clock = scaledClock(opts.speed);
  const startMs = clock.now();
  const mode = opts.json ? 'json' : process.stdout.isTTY ? 'screen' : 'lines';
  const flying = opts.flightFile === undefined ? `scenario ${opts.scenario} (seed ${opts.seed})` : `replay of ${opts.flightFile}`;
  let simDevice: SimDevice | undefined;
  const device = opts.device === 'sim' ? 'firmware in mcsim' : `${opts.speed}×`;
  const view = new LiveView(mode, `Balloon altimeter ${opts.id} — ${flying} — ${device} — broker ${url}${embedded ? ' (embedded Aedes)' : ''}`, startMs, 10_000 * Math.max(1, opts.speed / 10));
  view.broker(embedded ? 'up (embedded, logins and the access policy enforced)' : `external ${url}`);
  // Subscriptions are shown by the news station's probe; logins and publishes refused here.
  onRefused = (r) => {
    if (r.kind !== 'subscribe') view.event(`broker refused ${r.kind === 'login' ? `a login${r.username ? ` as ${r.username}` : ''}` : `${r.username}'s publish to ${r.topic}`}: ${r.reason}`);
  };
  for (const r of refusals) onRefused(r);
  const web = await startWeb(opts, embedded?.wsUrl ?? opts.wsUrl ?? `${broker.tls ? 'wss' : 'ws'}://${broker.host}:9001/mqtt`, {
    accounts: who.page,
    accountsFrom: embedded ? 'this run of npm start (its embedded broker made them, they end with it)' : opts.credentialsFile,
  });
  // A script reading --json output gets only messages on stdout; the address goes to stderr then.
  (opts.json ? process.stderr : process.stdout).write(`ground station: ${web.url}\n`);
  view.groundStation(web.url);

  const storeDir = opts.state ?? mkdtempSync(path.join(os.tmpdir(), 'altimeter-sim-'));
  const store = new JsonFileStore(path.join(storeDir, `${opts.id}.json`));
  const flash = new HostFlash(path.join(storeDir, 'flash'), packageVersion());
  // The outbox's log: what a power loss must not take is written here before it is published.
  const outboxFlash = new FileFlash(path.join(storeDir, `${opts.id}-outbox.bin`));
  // The flight the simulated chip measures: a named flight of the physical model, or the recording.
  const flight = recording
    ? new RecordedFlight(recording.data, startMs)
    : flyScenario(opts.scenario === 'outage' || opts.scenario === 'manual' ? 'normal' : (opts.scenario as ScenarioName), clock, { seed: opts.seed, startMs }).flight;
  const barometer = new SimulatedBarometer({ clock, flight, seed: opts.seed });
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
          device: { publicKey: new Uint8Array(Buffer.from(opts.otaKey, 'hex')), board: 'host-simulation', currentVersion, partitionBytes: flash.capacityBytes },
          slot: flash.slot,
          boot: {
            get pendingVerify() {
              return flash.boot.pendingVerify;
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
            view.event('rebooting into the new firmware');
            restart('ota');
          },
          log: (line) => view.event(line),
        });
  const startNode = (resetReason: string) => {
    const firmwareVersion = flash.runningVersion;
    node = new SensorNode({
      broker: { host: broker.host, port: broker.port, tls: broker.tls ? {} : undefined, ...who.device },
      clock,
      networkClock: nodeClock,
      socket: nodeSocketFactory,
      store,
      outboxFlash,
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
      onReading: (reading) => view.reading(reading, flight.at(reading.timestampMs).phase, { size: node.outbox.size, dropped: node.outbox.dropped }),
    });
    node.start();
  };
  if (opts.device === 'node') startNode('power-on');

  let preflight = false;
  const subscribers: Subscriber[] = startGroundStation({
    deviceId: opts.id, host: broker.host, port: broker.port, tls: broker.tls ? {} : undefined, socket: nodeSocketFactory, clock: nodeClock,
    accounts: who.ground,
    onMessage: (subscriber, message) => {
      view.message(subscriber, message);
      // The crew checks the node answers once they see it online, as they would before launch (the
      // firmware in mcsim comes up minutes after the crew when it has to be built first).
      if (!preflight && subscriber === subscribers[0] && message.topic === `${opts.id}/status` && new TextDecoder().decode(message.payload) === 'online') {
        preflight = true;
        subscriber.client.publish(`${opts.id}/cmd/ping`, '{"id":"preflight"}', 1);
      }
    },
    onProbe: (subscriber, filter, granted) => view.probe(subscriber, filter, granted),
  });
  view.watch(subscribers);

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
    if (opts.device === 'sim') await simDevice?.stop(); // the broker publishes the firmware's will: offline
    else await node.stop(); // publishes offline (acknowledged), then DISCONNECT
    await new Promise((r) => setTimeout(r, 200)); // let "offline" reach the subscribers
    for (const s of subscribers) s.client.end();
    await web.close();
    view.close();
    await embedded?.close();
    if (!opts.state) rmSync(storeDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  if (opts.device === 'sim') {
    simDevice = await startSimDevice({
      broker,
      login: who.device,
      id: opts.id,
      scenario: opts.scenario === 'outage' ? 'normal' : opts.scenario,
      recordedFlight: recording?.text,
      seed: opts.seed,
      progress: (line) => view.event(line),
      onReading: (reading, outbox) => view.reading(reading, 'in mcsim', { size: outbox, dropped: 0 }),
      onEvent: (line) => view.event(`firmware: ${line}`),
      onExit: (why) => {
        view.event(`${why}: the device is gone, stopping`);
        void stop();
      },
    });
    if (stopping) await simDevice.stop(); // stopped while it was being built
  }
  // The duration counts from when the device runs (the firmware is built first).
  if (opts.duration) timers.push(setTimeout(() => void stop(), opts.duration * 1000));
}

/** The page's server: on the port asked for, else 8080, else (8080 taken) any free port. */
async function startWeb(opts: ReturnType<typeof options>, wsUrl: string, offer: Pick<WebServerOptions, 'accounts' | 'accountsFrom'>): Promise<WebServer> {
  const serve = (port: number) => startWebServer({ port, deviceId: opts.id, wsUrl, ...offer });
  if (opts.webPort !== undefined) return serve(opts.webPort);
  return serve(8080).catch((error: Error) => {
    if (error instanceof WebPortInUseError) return serve(0);
    throw error;
  });
}

/** Reads and parses a flight file; a problem is a usage error that names the file, line and column. */
function readFlightFile(file: string): { text: string; data: RecordedFlightData } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--flight: cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return { text, data: parseFlightCsv(text) };
  } catch (error) {
    if (error instanceof FlightFileError) throw new UsageError(`--flight: ${file}, ${error.message}`);
    throw error;
  }
}

runCommand(main, HELP);
