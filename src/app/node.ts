// The sensor node: samples the altimeter on the clock, publishes altitude and telemetry, raises and
// clears emergencies, answers commands, and keeps every reading through outages and power losses
// (the outbox and its flash log). It is built from ports only, so the same class runs on the ESP32,
// in the desktop simulator, in `npm start` and on a virtual clock in the tests.
import { MqttClient, utf8Payload } from '../mqtt/client';
import { readUtf8 } from '../mqtt/utf8';
import type { Clock, FlashArea, KeyValueStore, Log, NetworkLink, StreamSocketFactory, SystemPort, TlsOptions } from '../ports';
import { Altimeter, type AltitudeReading } from '../sensor/altimeter';
import type { Barometer } from '../sensor/barometer';
import { parseCommand, replyPayload, type Command } from './commands';
import { DEFAULT_CONFIG, loadConfig, mergeConfig, saveConfig, type NodeConfig } from './config';
import { EmergencyMonitor, type EmergencyKind } from './emergency';
import { discoveryMessages } from './home-assistant';
import { FlashLog } from './flash-log';
import { Outbox, type OutboxMessage } from './outbox';
import { altitudePayload, emergencyPayload, topicsFor, type ReadingTime, type Topics } from './topics';

export interface BrokerOptions {
  host: string;
  port: number;
  tls?: TlsOptions;
  username?: string;
  password?: string;
  /** Largest packet taken from the broker; a larger PUBLISH is acknowledged and dropped with a log line. */
  maxPacketBytes?: number;
  /** Bytes that may wait for a slow link before it counts as stalled and is reconnected. */
  maxPendingWriteBytes?: number;
}

/** The over-the-air updater as the node sees it (src/ota/updater.ts). */
export interface OtaHandler {
  /** Starts an update from the manifest an `ota` command carries, sent to the device `deviceId`. */
  start(manifest: unknown, deviceId: string): { ok: true; version: string } | { ok: false; error: string };
  /** Where the updater's progress goes: the node points it at <id>/ota. */
  report: (status: string) => void;
  /** At start-up: a freshly updated image starts its self-test; an old one reports a rollback. */
  checkAfterBoot(): void;
  /** The node is healthy (good reading, broker connected, info published with its version). */
  healthy(): void;
}

export interface NodeOptions {
  broker: BrokerOptions;
  /** Time for sampling, timestamps and the flight. */
  clock: Clock;
  /** Time for the network (keepalive, reconnects); defaults to `clock`. A simulation running faster
   *  than real time keeps the network on real time. */
  networkClock?: Clock;
  socket: StreamSocketFactory;
  store: KeyValueStore;
  /** The flash partition of the outbox's log: what must survive a power loss is written here first. */
  outboxFlash: FlashArea;
  /** Opens the barometer (probe on the device, the simulated flight elsewhere). */
  openBarometer: () => Barometer;
  system: SystemPort;
  network?: NetworkLink;
  ota?: OtaHandler;
  /** Config before the stored one is applied (board defaults, a --id option). */
  defaults?: NodeConfig;
  log?: Log;
  /** Called after each sample with the reading (the simulator's live view uses it). */
  onReading?: (reading: AltitudeReading) => void;
  /** Called with each emergency message once it is in the outbox (durable); the soak counts them. */
  onEmergency?: (payload: string) => void;
}

const INFO_EVERY_MS = 5 * 60_000;
/** The boot counter in the store: telemetry carries it, so (boot, seq) is unique and ordered. */
const BOOT_STORE_KEY = 'boot';

export class SensorNode {
  readonly options: NodeOptions;
  config: NodeConfig;
  readonly client: MqttClient;
  readonly altimeter: Altimeter;
  readonly outbox: Outbox;
  readonly topics: Topics;
  /** This start's number, counted in the store: one more than any before it. */
  readonly boot: number;
  readonly #emergencies: EmergencyMonitor;
  readonly #log: Log;
  readonly #startedMs: number;
  #seq = 0;
  #sampler: ReturnType<Clock['setRepeatingTimer']> | undefined;
  #lastInfoMs = 0;
  /** The chip the last info message named (info goes out again when the sensor is found or changes). */
  #infoChip: string | undefined;
  /** The reading each active emergency was raised with, to re-assert it after another clears. */
  readonly #activeEmergencies = new Map<EmergencyKind, string>();
  #stopped = false;
  /** When the reading being published was taken (reused: the sample cycle allocates nothing for it). */
  readonly #readingTime: ReadingTime = { epochMs: undefined, uptimeMs: 0 };
  #healthy = false;

  constructor(options: NodeOptions) {
    this.options = options;
    this.#log = options.log ?? (() => {});
    this.#startedMs = options.clock.now();
    const { config, warning } = loadConfig(options.store, options.defaults ?? DEFAULT_CONFIG);
    if (warning) this.#log(warning);
    this.config = config;
    this.topics = topicsFor(config.deviceId);
    this.outbox = new Outbox(new FlashLog(options.outboxFlash), this.topics, { capacity: config.outboxSize, log: this.#log });
    // seq continues after the newest reading in the log, so it never goes back, even after a power loss.
    this.#seq = this.outbox.lastSeq;
    this.boot = this.#nextBoot(options.store, this.outbox.lastBoot);
    if (this.outbox.replayed > 0) this.#log(`outbox: ${this.outbox.replayed} messages from before the restart will be sent, in order`);
    this.#emergencies = new EmergencyMonitor(config.emergency);
    this.altimeter = new Altimeter({
      open: options.openBarometer,
      clock: options.clock,
      referencePa: config.referencePa ?? undefined,
      kalman: { processNoise: config.processNoise },
      log: this.#log,
    });
    const { broker } = options;
    this.client = new MqttClient(
      {
        host: broker.host,
        port: broker.port,
        tls: broker.tls,
        clientId: config.deviceId,
        cleanSession: false, // the broker keeps our command subscription and in-flight messages across drops
        keepaliveS: 30, // a dead link is found within ¾ of it plus the response timeout (15 s): 37.5 s
        maxInflight: this.outbox.window, // the outbox decides how many are in flight; the session only has the slots
        username: broker.username,
        password: broker.password === undefined ? undefined : utf8Payload(broker.password),
        will: { topic: this.topics.status, payload: utf8Payload('offline'), qos: 1, retain: true },
        reconnect: { minDelayMs: 1000, maxDelayMs: 30_000, jitter: 0.3 },
        ...(broker.maxPacketBytes === undefined ? {} : { maxPacketBytes: broker.maxPacketBytes }),
        maxPendingWriteBytes: broker.maxPendingWriteBytes,
      },
      { socket: options.socket, clock: options.networkClock ?? options.clock },
    );
    this.#wireClient();
    if (options.ota) options.ota.report = (status) => this.#send('state', this.topics.ota, status, false);
  }

  start(): void {
    const { clock, network } = this.options;
    this.client.subscribe(this.topics.commands, 1);
    if (network) {
      network.onChange((up, reason) => {
        this.#log(`network ${up ? 'up' : 'down'}: ${reason}`);
        if (up) this.client.reconnectNow();
      });
      network.start();
    }
    this.client.connect();
    this.options.ota?.checkAfterBoot();
    this.#sampler = clock.setRepeatingTimer(() => this.sample(), this.config.sampleIntervalMs);
  }

  /**
   * Stops cleanly: sampling stops (the outbox is already on flash), `offline` is published and acknowledged (or
   * `waitMs` passes), then DISCONNECT. Resolves when the link is closed.
   */
  stop(waitMs = 1000): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    this.#stopped = true;
    if (this.#sampler !== undefined) this.options.clock.clearTimer(this.#sampler);
    if (!this.client.connected) {
      this.client.end();
      return Promise.resolve();
    }
    const offline = this.#send('state', this.topics.status, 'offline', true);
    return new Promise((resolve) => {
      const clock = this.options.networkClock ?? this.options.clock;
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        this.client.end();
        resolve();
      };
      this.client.on('published', (t) => t === offline.token && finish());
      clock.setTimer(finish, waitMs);
    });
  }

  /** The seq of the newest reading (0 before the first since a blank log). */
  get seq(): number {
    return this.#seq;
  }

  /** The kinds of emergency active now (a board's status display shows them). */
  get activeEmergencies(): EmergencyKind[] {
    return this.#emergencies.active;
  }

  get uptimeS(): number {
    return Math.round((this.options.clock.now() - this.#startedMs) / 1000);
  }

  /**
   * One sampling cycle (the timer calls it; tests may too). It never throws: the altimeter turns a
   * failing driver or filter into a "fault" reading, and anything else that fails here is logged
   * and the next cycle runs as usual.
   */
  sample(): void {
    try {
      this.#sample();
    } catch (error) {
      this.#log(`sample ${this.#seq} failed, the next one runs: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    }
  }

  #sample(): void {
    const reading = this.altimeter.read();
    const seq = ++this.#seq;
    const { client, outbox, topics } = this;
    const time = this.#readingTime;
    const clock = this.options.clock;
    time.epochMs = clock.epochMs ? clock.epochMs() : reading.timestampMs; // undefined until the device knows the date
    time.uptimeMs = reading.timestampMs - this.#startedMs;
    outbox.addTelemetry(this.boot, seq, reading, time);
    const changes = this.#emergencies.update(reading);
    for (let i = 0; i < changes.length; i++) {
      const { kind, active, message } = changes[i];
      const payload = emergencyPayload(kind, active, seq, reading, message, time);
      outbox.add('emergency', topics.emergency, utf8Payload(payload), true); // durable from here on
      this.#log(`emergency ${active ? 'RAISED' : 'cleared'}: ${kind}: ${message}`);
      this.options.onEmergency?.(payload);
      if (active) this.#activeEmergencies.set(kind, payload);
      else {
        this.#activeEmergencies.delete(kind);
        // One retained message per topic: put an emergency that is still active back on top.
        for (const still of this.#activeEmergencies.values()) outbox.add('emergency', topics.emergency, utf8Payload(still), true);
      }
    }
    outbox.pump(client);
    // The plain altitude is a live value: it goes now, after what waits, or not at all.
    if (reading.quality !== 'fault') {
      outbox.sendLive(client, topics.altitude, utf8Payload(altitudePayload(reading)), this.config.altitudeQos, this.config.altitudeRetain);
    }
    const infoStale = reading.timestampMs - this.#lastInfoMs >= INFO_EVERY_MS || this.altimeter.chip !== this.#infoChip;
    if (infoStale && client.connected) this.#publishInfo();
    if (!this.#healthy && reading.quality !== 'fault' && client.connected && this.#infoChip !== undefined) {
      this.#healthy = true; // sensor, broker and info with this version: what an update's self-test needs
      this.options.ota?.healthy();
    }
    this.options.onReading?.(reading);
  }

  #wireClient(): void {
    const client = this.client;
    client.on('connect', ({ sessionPresent }) => {
      this.#log(`connected to ${this.options.broker.host}:${this.options.broker.port} (session ${sessionPresent ? 'resumed' : 'new'})`);
      this.#send('state', this.topics.status, 'online', true);
      this.#publishInfo();
      this.#publishDiscovery();
    });
    client.on('disconnect', (error) => this.#log(`disconnected${error ? `: ${error.message}` : ''}; the outbox holds ${this.outbox.size}`));
    client.on('error', (error) => this.#log(`mqtt: ${error.message}`));
    client.on('sessionTakenOver', (closures) =>
      this.#log(
        `warning: another client with my id "${this.config.deviceId}" took the session: the broker closed our connection ` +
          `${closures} times in a row soon after accepting it. Give every device its own id (config deviceId).`,
      ),
    );
    client.on('published', (token) => {
      this.outbox.delivered(token);
      this.outbox.pump(client); // a slot is free
    });
    client.on('message', (message) => {
      if (!message.topic.startsWith(this.topics.commandPrefix)) return;
      const name = message.topic.slice(this.topics.commandPrefix.length);
      if (message.retain) {
        // A retained command is an old one the broker replays to every new subscription: executing it
        // would reboot at every connection (a boot loop) or re-zero the altitude in mid-flight after a
        // brown-out. Commands count only when they are sent (MQTT-3.3.1-9: those arrive unretained).
        this.#log(`command ${name} ignored: it is a retained message (${message.payload.length} bytes); commands must not be retained`);
        return;
      }
      let text: string;
      try {
        text = readUtf8(message.payload, 0, message.payload.length, 'the command payload');
      } catch (error) {
        this.#reply(name, null, { ok: false, error: (error as Error).message });
        return;
      }
      this.#onCommand(name, text);
    });
  }

  #reply(name: string, id: string | number | null, result: Parameters<typeof replyPayload>[2]): void {
    this.#send('reply', this.topics.reply, replyPayload(name, id, result), false);
  }

  /** Every QoS 1 message goes through the outbox, which decides when it is sent. */
  #send(kind: 'reply' | 'state', topic: string, payload: string, retain: boolean): OutboxMessage {
    const message = this.outbox.add(kind, topic, utf8Payload(payload), retain);
    this.outbox.pump(this.client);
    return message;
  }

  #onCommand(name: string, payload: string): void {
    const parsed = parseCommand(name, payload);
    if (!parsed.ok) {
      this.#log(`command ${name} refused: ${parsed.error}`);
      this.#reply(parsed.name, parsed.id, { ok: false, error: parsed.error });
      return;
    }
    const command = parsed.command;
    try {
      this.#run(command);
    } catch (error) {
      this.#reply(command.name, command.id, { ok: false, error: (error as Error).message });
    }
  }

  #run(command: Command): void {
    const { name, id, args } = command;
    switch (name) {
      case 'ping':
        this.#reply(name, id, { ok: true, uptimeS: this.uptimeS, seq: this.#seq, outbox: this.outbox.size });
        return;
      case 'config': {
        const next = mergeConfig(this.config, args); // throws with every problem: nothing changes
        const restartRequired = next.deviceId !== this.config.deviceId;
        saveConfig(this.options.store, next, this.options.defaults ?? DEFAULT_CONFIG);
        this.#apply(next);
        this.#reply(name, id, { ok: true, config: next, ...(restartRequired ? { restartRequired: true, note: 'the new deviceId takes effect after a reboot' } : {}) });
        this.#publishInfo();
        return;
      }
      case 'zero': {
        const { qnh, fieldElevationM } = args;
        if (qnh !== undefined && fieldElevationM !== undefined) throw new Error('give "qnh" or "fieldElevationM", not both');
        if (qnh !== undefined && typeof qnh !== 'number') throw new Error(`"qnh" must be a pressure in Pa, not ${JSON.stringify(qnh)}`);
        if (fieldElevationM !== undefined && !(typeof fieldElevationM === 'number' && fieldElevationM >= -500 && fieldElevationM <= 9000)) {
          throw new Error(`"fieldElevationM" must be the launch site's elevation in metres (-500 to 9000), not ${JSON.stringify(fieldElevationM)}`);
        }
        const referencePa = qnh === undefined ? this.altimeter.zero((fieldElevationM as number | undefined) ?? 0) : (this.altimeter.setReference(qnh), qnh);
        const next = { ...this.config, referencePa: Math.round(referencePa * 10) / 10 };
        saveConfig(this.options.store, next, this.options.defaults ?? DEFAULT_CONFIG);
        this.config = next;
        this.#reply(name, id, { ok: true, referencePa: next.referencePa });
        this.#publishInfo();
        return;
      }
      case 'reboot':
        this.#reply(name, id, { ok: true, note: 'rebooting in 1 s' });
        this.options.clock.setTimer(() => this.options.system.reboot(), 1000);
        return;
      case 'ota': {
        if (!this.options.ota) throw new Error('over-the-air update is not available in this build');
        // The id this node answers to now (a new deviceId in the config waits for a reboot).
        this.#reply(name, id, this.options.ota.start(args, this.topics.deviceId));
        return;
      }
    }
  }

  #apply(next: NodeConfig): void {
    const previous = this.config;
    this.config = next;
    this.outbox.resize(next.outboxSize);
    this.#emergencies.configure(next.emergency);
    if (next.referencePa !== null && next.referencePa !== previous.referencePa) this.altimeter.setReference(next.referencePa);
    if (next.sampleIntervalMs !== previous.sampleIntervalMs && this.#sampler !== undefined) {
      this.options.clock.clearTimer(this.#sampler);
      this.#sampler = this.options.clock.setRepeatingTimer(() => this.sample(), next.sampleIntervalMs);
    }
    if (next.homeAssistant !== previous.homeAssistant) this.#publishDiscovery(!next.homeAssistant);
  }

  #publishInfo(): void {
    this.#lastInfoMs = this.options.clock.now();
    if (!this.client.connected) return;
    const { system } = this.options;
    this.#infoChip = this.altimeter.chip;
    const info = {
      fw: system.firmwareVersion,
      board: system.board,
      chip: this.altimeter.chip ?? null,
      referencePa: this.altimeter.referencePa === undefined ? null : Math.round(this.altimeter.referencePa * 10) / 10,
      intervalMs: this.config.sampleIntervalMs,
      uptimeS: this.uptimeS,
      resetReason: system.resetReason,
      outbox: this.outbox.size,
      dropped: this.outbox.dropped,
      emergencies: this.#emergencies.active,
    };
    this.#send('state', this.topics.info, JSON.stringify(info), true);
  }

  /** Home Assistant discovery: retained entity configs, or empty retained messages to remove them. */
  #publishDiscovery(remove = false): void {
    if (!this.config.homeAssistant && !remove) return;
    for (const { topic, payload } of discoveryMessages(this.config.deviceId, this.options.system)) {
      this.#send('state', topic, remove ? '' : payload, true);
    }
  }

  /** Counts this start in the store; never below the newest boot the log has seen (a store reset). */
  #nextBoot(store: KeyValueStore, lastInLog: number): number {
    const stored = Number(store.get(BOOT_STORE_KEY) ?? 0);
    const boot = Math.max(stored === stored ? stored : 0, lastInLog) + 1;
    try {
      store.set(BOOT_STORE_KEY, String(boot));
    } catch (error) {
      this.#log(`boot counter not saved (${(error as Error).message}): the next start may repeat boot ${boot}`);
    }
    return boot;
  }
}
