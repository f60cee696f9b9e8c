// The people on the ground, as separate MQTT clients, each logged in with its own account and
// subscribed to what the access policy lets it read (host/broker/policy.ts): crew, air traffic
// control and maritime patrol everything the node publishes; the news station only emergencies.
// At start a party that may not read the altitude (the news station) tries it anyway: the broker's
// answer (and the fact that nothing of it ever arrives) is what shows the flight is private.
import { MqttClient, utf8Payload } from '../src/mqtt/client';
import type { IncomingMessage } from '../src/mqtt/session';
import type { Clock, StreamSocketFactory, TlsOptions } from '../src/ports';
import { GROUND_ROLES, mayReceive, partyRules, partySubscriptions, ROLE_NAMES, type Account, type GroundRole } from './broker/policy';

export interface Subscriber {
  role: GroundRole;
  name: string;
  filter: string;
  client: MqttClient;
  count: number;
  last: IncomingMessage | undefined;
}

export interface GroundStationOptions {
  deviceId: string;
  host: string;
  port: number;
  tls?: TlsOptions;
  socket: StreamSocketFactory;
  clock: Clock;
  /** Each party's account; a party without one connects anonymously (an open broker). */
  accounts?: Partial<Record<GroundRole, Account>>;
  onMessage: (subscriber: Subscriber, message: IncomingMessage) => void;
  /** The broker's answer to the news station's try at a topic it is not meant to read. */
  onProbe?: (subscriber: Subscriber, filter: string, granted: boolean) => void;
}

export function startGroundStation(options: GroundStationOptions): Subscriber[] {
  return GROUND_ROLES.map((role) => {
    const account = options.accounts?.[role];
    const name = ROLE_NAMES[role];
    const client = new MqttClient(
      {
        host: options.host,
        port: options.port,
        tls: options.tls,
        // A secured broker makes the client id the username anyway; say so from the start.
        clientId: account?.username ?? `${options.deviceId}-${role}`,
        username: account?.username,
        password: account ? utf8Payload(account.password) : undefined,
        // Persistent sessions: what the node sends while a subscriber is cut off waits at the broker.
        cleanSession: false,
        reconnect: { minDelayMs: 500, maxDelayMs: 5000 },
      },
      { socket: options.socket, clock: options.clock },
    );
    const filters = partySubscriptions(role, options.deviceId);
    const subscriber: Subscriber = { role, name, filter: filters.join(' '), client, count: 0, last: undefined };
    client.on('message', (message) => {
      subscriber.count++;
      subscriber.last = message;
      options.onMessage(subscriber, message);
    });
    for (const filter of filters) client.subscribe(filter, 1);
    const probe = `${options.deviceId}/altitude`;
    if (!mayReceive(partyRules(role, options.deviceId), probe)) {
      const token = client.subscribe(probe, 1);
      client.on('subscribed', (t, granted) => {
        if (t === token) options.onProbe?.(subscriber, probe, granted[0] !== 0x80);
      });
    }
    client.connect();
    return subscriber;
  });
}
