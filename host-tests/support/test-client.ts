// Our MQTT client on the Node adapters, with helpers to await its events in tests.
import { MqttClient, type MqttClientEvents, type MqttClientOptions } from '../../src/mqtt/client';
import type { IncomingMessage } from '../../src/mqtt/session';
import { nodeClock } from '../../src/platform/node/clock';
import { nodeSocketFactory } from '../../src/platform/node/socket';
import type { Clock, StreamSocket } from '../../src/ports';
import { waitUntil, withDeadline } from './deadline';

export interface TestClient {
  client: MqttClient;
  messages: IncomingMessage[];
  errors: Error[];
  /**
   * Resolves at the next `event` whose arguments satisfy `test`; fails naming the event when none
   * comes within the deadline (support/deadline.ts).
   */
  next<K extends keyof MqttClientEvents>(event: K, test?: (...args: Parameters<MqttClientEvents[K]>) => boolean): Promise<Parameters<MqttClientEvents[K]>>;
  /** Waits until `count` messages have arrived; fails saying how many did when the deadline passes. */
  received(count: number): Promise<IncomingMessage[]>;
  /** Cuts the TCP connection without DISCONNECT, as a crash or power loss would. */
  killConnection(): void;
}

let counter = 0;

export function testClient(port: number, options: Partial<MqttClientOptions> = {}, clock: Clock = nodeClock): TestClient {
  const sockets: StreamSocket[] = [];
  const client = new MqttClient(
    { host: '127.0.0.1', port, clientId: `test-${process.pid}-${++counter}`, reconnect: { minDelayMs: 50, maxDelayMs: 500 }, ...options },
    {
      clock,
      socket: (socketOptions) => {
        const socket = nodeSocketFactory(socketOptions);
        sockets.push(socket);
        return socket;
      },
    },
  );
  const messages: IncomingMessage[] = [];
  const errors: Error[] = [];
  const waiters: { event: string; test: (...a: unknown[]) => boolean; resolve: (a: unknown[]) => void }[] = [];
  const fire = (event: string) => (...args: unknown[]) => {
    for (const w of waiters.slice()) {
      if (w.event === event && w.test(...args)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(args);
      }
    }
  };
  for (const event of ['connect', 'disconnect', 'published', 'subscribed', 'unsubscribed', 'sessionTakenOver', 'close'] as const) {
    client.on(event, fire(event) as never);
  }
  client.on('message', (m) => {
    messages.push({ ...m, payload: m.payload.slice() });
    fire('message')(m);
  });
  client.on('error', (e) => {
    errors.push(e);
    fire('error')(e);
  });
  return {
    client,
    messages,
    errors,
    next: (event, test = () => true) =>
      withDeadline(
        `the test client's '${event}' event`,
        new Promise((resolve) => waiters.push({ event, test: test as (...a: unknown[]) => boolean, resolve: resolve as (a: unknown[]) => void })),
        { context: () => `errors seen: ${errors.map((e) => e.message).join('; ') || 'none'}` },
      ),
    received: async (count) => {
      await waitUntil(`${count} messages at the test client`, () => messages.length >= count, {
        intervalMs: 5,
        context: () => `${messages.length} arrived: ${messages.slice(-5).map((m) => m.topic).join(', ')}`,
      });
      return messages;
    },
    // Closing the socket under the client, with no DISCONNECT: to the broker this is a crash.
    killConnection: () => sockets.at(-1)?.close(),
  };
}

export const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
