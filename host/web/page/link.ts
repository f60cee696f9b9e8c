// The page's connection to the broker: our own MQTT client (src/mqtt/client.ts) over the WebSocket
// adapter, with a persistent session so that what the node sends while the page is cut off waits
// at the broker and fills the gap when it is back. It knows nothing of the DOM.
import { MqttClient } from '../../../src/mqtt/client';
import { ConnectionRefusedError } from '../../../src/mqtt/errors';
import type { IncomingMessage } from '../../../src/mqtt/session';
import { browserClock } from '../../../src/platform/web/clock';
import { webSocketFactory, type WebSocketConstructor } from '../../../src/platform/web/websocket-socket';

export interface LinkOptions {
  deviceId: string;
  /** The filters to subscribe to (what the party may read, see party.ts). */
  subscriptions: string[];
  /** The broker's WebSocket endpoint, e.g. ws://127.0.0.1:9001/mqtt. */
  wsUrl: string;
  /** Our session's id; a broker running the access policy makes it the username anyway. */
  clientId: string;
  username?: string;
  password?: string;
}

export type LinkState =
  | { kind: 'connecting' }
  | { kind: 'connected'; sessionPresent: boolean }
  | { kind: 'reconnecting'; sinceMs: number; attempts: number; reason: string }
  /** The broker refused the login (CONNACK 4 or 5): retrying would not help, so the link stops. */
  | { kind: 'refused'; reason: string }
  | { kind: 'closed' };

export interface LinkEvents {
  state(state: LinkState): void;
  /** A message under <deviceId>/: `leaf` is the rest of the topic ("telemetry", "cmd/ping" …). */
  message(leaf: string, text: string, message: IncomingMessage): void;
  error(error: Error): void;
  /** The broker refused a subscription (SUBACK 0x80): the account may not read anything there. */
  refused(filter: string): void;
}

export function parseWsUrl(wsUrl: string): { host: string; port: number; tls: boolean; path: string } {
  const url = new URL(wsUrl);
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new Error(`the broker's WebSocket address must start with ws:// or wss://, not ${wsUrl}`);
  const tls = url.protocol === 'wss:';
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port ? Number(url.port) : tls ? 443 : 80, tls, path: `${url.pathname}${url.search}` };
}

export class GroundLink {
  readonly client: MqttClient;
  readonly options: LinkOptions;
  state: LinkState = { kind: 'connecting' };
  readonly #prefix: string;
  readonly #decoder = new TextDecoder();

  constructor(options: LinkOptions, events: LinkEvents) {
    this.options = options;
    this.#prefix = `${options.deviceId}/`;
    const { host, port, tls, path } = parseWsUrl(options.wsUrl);
    const socket = webSocketFactory({ WebSocket: globalThis.WebSocket as unknown as WebSocketConstructor, path, clock: browserClock });
    this.client = new MqttClient(
      {
        host,
        port,
        tls: tls ? {} : undefined,
        clientId: options.clientId,
        cleanSession: false, // the broker keeps our subscription and queues QoS 1 telemetry while we are away
        // A dropped Wi-Fi shows within ¾ keepalive + the response timeout (about 16 s) even when no
        // close reaches us.
        keepaliveS: 15,
        responseTimeoutMs: 5000,
        username: options.username || undefined,
        password: options.password ? new TextEncoder().encode(options.password) : undefined,
        reconnect: { minDelayMs: 500, maxDelayMs: 5000, jitter: 0.2 },
        maxPacketBytes: 256 * 1024,
      },
      { socket, clock: browserClock },
    );
    const setState = (state: LinkState) => {
      this.state = state;
      events.state(state);
    };
    this.client.on('connect', ({ sessionPresent }) => setState({ kind: 'connected', sessionPresent }));
    this.client.on('disconnect', (error) => {
      if (error instanceof ConnectionRefusedError && (error.returnCode === 4 || error.returnCode === 5)) {
        this.client.end();
        setState({ kind: 'refused', reason: error.message });
        return;
      }
      const previous = this.state;
      const sinceMs = previous.kind === 'reconnecting' ? previous.sinceMs : Date.now();
      const attempts = previous.kind === 'reconnecting' ? previous.attempts + 1 : 0;
      setState({ kind: 'reconnecting', sinceMs, attempts, reason: error?.message ?? 'the connection closed' });
    });
    this.client.on('error', (error) => events.error(error));
    this.client.on('message', (message) => {
      if (!message.topic.startsWith(this.#prefix)) return;
      events.message(message.topic.slice(this.#prefix.length), this.#decoder.decode(message.payload), message);
    });
    const filters = new Map<number, string>();
    for (const filter of options.subscriptions) filters.set(this.client.subscribe(filter, 1), filter);
    this.client.on('subscribed', (token, granted) => {
      const filter = filters.get(token);
      if (filter !== undefined && granted[0] === 0x80) events.refused(filter);
    });
    this.client.connect();
  }

  /** Sends a command (QoS 1): it waits at the broker if the node is away. */
  command(name: string, payload: Record<string, unknown>): void {
    this.client.publish(`${this.#prefix}cmd/${name}`, JSON.stringify(payload), 1, false);
  }

  close(): void {
    this.client.end();
    this.state = { kind: 'closed' };
  }
}
