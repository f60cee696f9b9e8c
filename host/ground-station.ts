// The people on the ground, as separate MQTT clients: crew, air traffic control and maritime patrol
// subscribe to everything the node publishes; the news station only to emergencies.
import { MqttClient } from '../src/mqtt/client';
import type { IncomingMessage } from '../src/mqtt/session';
import type { Clock, StreamSocketFactory, TlsOptions } from '../src/ports';
import { PARTIES, partyFilter } from './parties';

export interface Subscriber {
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
  onMessage: (subscriber: Subscriber, message: IncomingMessage) => void;
}

export function startGroundStation(options: GroundStationOptions): Subscriber[] {
  return PARTIES.map((party) => {
    const name = party.name;
    const client = new MqttClient(
      {
        host: options.host,
        port: options.port,
        tls: options.tls,
        // Persistent sessions: what the node sends while a subscriber is cut off waits at the broker.
        clientId: `${options.deviceId}-${name.replace(/ /g, '-')}`,
        cleanSession: false,
        reconnect: { minDelayMs: 500, maxDelayMs: 5000 },
      },
      { socket: options.socket, clock: options.clock },
    );
    const subscriber: Subscriber = { name, filter: partyFilter(options.deviceId, party), client, count: 0, last: undefined };
    client.on('message', (message) => {
      subscriber.count++;
      subscriber.last = message;
      options.onMessage(subscriber, message);
    });
    client.subscribe(subscriber.filter, 1);
    client.connect();
    return subscriber;
  });
}
