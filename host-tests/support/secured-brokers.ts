// The two brokers that enforce the fleet's access policy, started the way a user gets them: Mosquitto
// running the configuration `npm run broker -- config` wrote, and the embedded broker of `npm start`
// with accounts generated for the run. Both hand out the same Parties, so one list of cases runs on
// both (host-tests/broker/access-policy.test.ts).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { generateAccounts, PROGRAM_SEATS, readParties, type Parties } from '../../host/broker/accounts';
import { startEmbeddedBroker, type Refusal } from '../../host/embedded-broker';
import type { MqttClientOptions } from '../../src/mqtt/client';
import { ConnectionRefusedError } from '../../src/mqtt/codec';
import { freePort, startMosquittoWithConfig } from './mosquitto';
import { testClient, type TestClient } from './test-client';

const run = promisify(execFile);

export interface SecuredBroker {
  port: number;
  parties: Parties;
  /** Mosquitto 2.0's acl_file grants every SUBSCRIBE and filters delivery; the embedded broker also refuses a useless filter. */
  refusesUselessSubscriptions: boolean;
  /** What the broker reported refusing (the embedded broker only; Mosquitto logs it). */
  refusals: Refusal[];
  log(): string;
  close(): Promise<void>;
}

export const FLEET = ['sensor1', 'sensor2'];
// Both brokers have a seat per ground party for each of our programs (crew, crew-2, crew-3: SEATS),
// as `npm run broker -- config` writes by default.

/**
 * With `tls`, also a TLS listener (on tlsPort) that requires client certificates from `clientCaFile`;
 * with `websockets`, an MQTT-over-WebSocket listener (on wsPort) for the ground station page.
 */
export async function startGeneratedMosquitto(
  tls?: { certFile: string; keyFile: string; clientCaFile: string },
  options: { websockets?: boolean } = {},
): Promise<SecuredBroker & { dir: string; tlsPort?: number; wsPort?: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'altimeter-broker-config-'));
  const port = await freePort();
  const tlsPort = tls ? await freePort() : undefined;
  const wsPort = options.websockets ? await freePort() : undefined;
  const tlsArgs = tls ? ['--tls-cert', tls.certFile, '--tls-key', tls.keyFile, '--tls-port', String(tlsPort), '--client-ca', tls.clientCaFile] : [];
  const wsArgs = wsPort ? ['--websockets', String(wsPort)] : [];
  await run('node_modules/.bin/tsx', ['host/broker/cli.ts', 'config', dir, '--ids', FLEET.join(','), '--port', String(port), '--bind', '127.0.0.1', ...tlsArgs, ...wsArgs]);
  const mosquitto = await startMosquittoWithConfig(dir, { port, tlsPort, wsPort });
  return {
    dir,
    port,
    tlsPort,
    wsPort,
    parties: readParties(path.join(dir, 'parties.json')),
    refusesUselessSubscriptions: false,
    refusals: [],
    log: mosquitto.log,
    close: async () => {
      await mosquitto.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startSecuredEmbedded(): Promise<SecuredBroker> {
  const refusals: Refusal[] = [];
  const accounts = generateAccounts(FLEET, PROGRAM_SEATS);
  const broker = await startEmbeddedBroker({ access: { fleet: FLEET, accounts, onRefused: (r) => refusals.push(r) } });
  return {
    port: broker.port,
    parties: { fleet: FLEET, accounts },
    refusesUselessSubscriptions: true,
    refusals,
    log: () => refusals.map((r) => JSON.stringify(r)).join('\n'),
    close: () => broker.close(),
  };
}

export function passwordOf(broker: SecuredBroker, username: string): string {
  const account = broker.parties.accounts.find((a) => a.username === username);
  if (!account) throw new Error(`no account ${username}`);
  return account.password;
}

/** A client logged in as `username` (client id = username unless given), connected. */
export async function login(broker: SecuredBroker, username: string, options: Partial<MqttClientOptions> = {}): Promise<TestClient & { sessionPresent: boolean }> {
  const c = testClient(broker.port, { clientId: username, username, password: new TextEncoder().encode(passwordOf(broker, username)), ...options });
  const connected = c.next('connect');
  c.client.connect();
  const [{ sessionPresent }] = await connected;
  return Object.assign(c, { sessionPresent });
}

/** Tries to connect with these options; resolves with the CONNACK return code of the refusal. */
export async function refusedLogin(broker: SecuredBroker, options: Partial<MqttClientOptions>): Promise<number> {
  const c = testClient(broker.port, { reconnect: { minDelayMs: 60_000, maxDelayMs: 60_000 }, ...options });
  const outcome = Promise.race([c.next('error', (e) => e instanceof ConnectionRefusedError), c.next('connect').then(() => [undefined])]);
  c.client.connect();
  const [error] = await outcome;
  c.client.end();
  if (!(error instanceof ConnectionRefusedError)) throw new Error('the broker accepted a login it should have refused');
  return error.returnCode;
}
