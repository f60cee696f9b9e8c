// `npm run broker -- config` as an operator runs it: its options and errors, the files it writes,
// password hashes the real Mosquitto accepts (whether mosquitto_passwd or our own code made them),
// the TLS listener with client certificates, the WebSocket listener, and rotating one password.
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { readParties } from '../../host/broker/accounts';
import { rotatePassword, writeBrokerConfig } from '../../host/broker/mosquitto-config';
import { mosquittoHash, verifyMosquittoHash } from '../../host/broker/password-file';
import { aclFileText, fleetPrincipals } from '../../host/broker/policy';
import { freePort, startMosquittoWithConfig, type Mosquitto } from '../support/mosquitto';
import { login, refusedLogin, type SecuredBroker } from '../support/secured-brokers';
import { clientCertificate, makeTestCertificates } from '../support/tls-certs';
import { testClient, type TestClient } from '../support/test-client';

const run = promisify(execFile);
const cli = (...args: string[]) => run('node_modules/.bin/tsx', ['host/broker/cli.ts', ...args]);
const failing = (...args: string[]) => cli(...args).then(
  () => ({ code: 0, stdout: '', stderr: '' }),
  (e: { code: number; stdout: string; stderr: string }) => e,
);
const scratch = () => mkdtempSync(path.join(os.tmpdir(), 'altimeter-broker-cli-'));
const running: Mosquitto[] = [];
afterAll(async () => {
  for (const m of running) await m.close();
});

/** SUBSCRIBE and its SUBACK: a round trip that proves the connection is alive. */
async function subscribeOn(c: TestClient, filter: string): Promise<number[]> {
  const done = c.next('subscribed');
  c.client.subscribe(filter, 1);
  return (await done)[1];
}

/** Mosquitto on a configuration written here, as a SecuredBroker for the login helpers. */
async function serve(dir: string, port: number, tlsPort?: number): Promise<SecuredBroker> {
  const mosquitto = await startMosquittoWithConfig(dir, { port, tlsPort });
  running.push(mosquitto);
  return { port, parties: readParties(path.join(dir, 'parties.json')), refusesUselessSubscriptions: false, refusals: [], log: mosquitto.log, close: () => mosquitto.close() };
}

describe('npm run broker -- config', () => {
  it('prints its usage with --help, to stdout, and exits 0', async () => {
    const { stdout } = await cli('--help');
    for (const option of ['config DIR', '--ids', '--port', '--bind', '--tls-cert', '--tls-key', '--client-ca', '--websockets', '--force', 'rotate DIR USERNAME']) expect(stdout).toContain(option);
  });

  it('explains bad arguments in one line, then the usage, and exits 2', async () => {
    const dir = scratch();
    const cases = [
      [[], 'a command is needed'],
      [['launch'], 'unknown command "launch"'],
      [['config'], 'config needs the directory to write into'],
      [['config', dir, '--ids', 'sensor 1'], '--ids: device id "sensor 1" must be 1 to 32 letters, digits, "_" or "-"'],
      [['config', dir, '--ids', 'crew'], '--ids: device id "crew" is the username of a ground party'],
      [['config', dir, '--ids', 'a,a'], '--ids: device id "a" is listed twice'],
      [['config', dir, '--port', '70000'], '--port must be a port number from 1 to 65535, not "70000"'],
      [['config', dir, '--tls-cert', path.join(dir, 'missing.pem'), '--tls-key', 'x'], `--tls-cert ${path.join(dir, 'missing.pem')}: no such file`],
      [['config', dir, '--client-ca', 'ca.pem'], '--tls-port and --client-ca need --tls-cert and --tls-key'],
      [['config', dir, '--no-plain'], '--no-plain needs --tls-cert and --tls-key: without the plain listener, TLS is the way in'],
      [['config', dir, '--no-plain', '--port', '1884', '--tls-cert', 'package.json', '--tls-key', 'package.json'], '--port is the plain listener, which --no-plain leaves out'],
      [['config', dir, '--websockets', '1883'], 'the listeners need different ports, not 1883, 1883'],
      [['config', dir, '--colour', 'red'], "Unknown option '--colour'"],
      [['config', dir, '--seats', '0'], '--seats must be a whole number from 1 to 20, not "0"'],
      [['config', dir, '--ids', 'crew-2'], '--ids: device id "crew-2" is the username of a ground party'],
      [['rotate', dir], 'rotate needs the configuration directory and the username'],
    ] as const;
    // Each run starts tsx: run them side by side.
    const results = await Promise.all(cases.map(([args]) => failing(...args)));
    for (const [i, [args, reason]] of cases.entries()) {
      expect(results[i].code, args.join(' ')).toBe(2);
      const [first, second] = results[i].stderr.split('\n');
      expect(first).toContain(reason);
      expect(second).toMatch(/^usage: npm run broker -- config DIR/);
    }
  }, 180_000);

  it('writes the four files, secrets readable by their owner only, every password generated and different', async () => {
    const dir = scratch();
    const { stdout } = await cli('config', dir, '--ids', 'sensor1,sensor2', '--port', '18830');
    const parties = readParties(path.join(dir, 'parties.json'));
    // By default three seats per party: the terminal ground station's, the page's, and the update push's.
    expect(parties.accounts.map((a) => `${a.role} ${a.username}`)).toEqual([
      'device sensor1', 'device sensor2',
      'crew crew', 'crew crew-2', 'crew crew-3',
      'air-traffic-control air-traffic-control', 'air-traffic-control air-traffic-control-2', 'air-traffic-control air-traffic-control-3',
      'maritime-patrol maritime-patrol', 'maritime-patrol maritime-patrol-2', 'maritime-patrol maritime-patrol-3',
      'news-station news-station', 'news-station news-station-2', 'news-station news-station-3',
    ]);
    const passwords = parties.accounts.map((a) => a.password);
    expect(new Set(passwords).size).toBe(passwords.length);
    expect(passwords.every((p) => /^[A-Za-z0-9_-]{24}$/.test(p))).toBe(true);
    for (const password of passwords) expect(stdout).not.toContain(password); // printed nowhere
    expect(statSync(path.join(dir, 'passwd')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(dir, 'parties.json')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(dir, 'data')).mode & 0o777).toBe(0o700); // the broker's store: retained flight data, queued commands
    expect(readFileSync(path.join(dir, 'acl'), 'utf8')).toBe(aclFileText(fleetPrincipals(['sensor1', 'sensor2'], 3), ['sensor1', 'sensor2']));
    const lines = readFileSync(path.join(dir, 'passwd'), 'utf8').trim().split('\n');
    expect(lines.map((l) => l.split(':')[0])).toEqual(parties.accounts.map((a) => a.username));
    for (const [i, line] of lines.entries()) expect(verifyMosquittoHash(parties.accounts[i].password, line.slice(line.indexOf(':') + 1))).toBe(true);
    const conf = readFileSync(path.join(dir, 'mosquitto.conf'), 'utf8');
    expect(conf).toMatch(/^allow_anonymous false$/m);
    expect(conf).toMatch(/^max_queued_messages 100000$/m); // a day of telemetry for a page that was away
    expect(conf).toMatch(/^listener 18830\nuse_username_as_clientid true$/m);
    // A second configuration has passwords of its own; --seats sets the accounts per party.
    const other = scratch();
    await cli('config', other, '--seats', '2');
    const seated = readParties(path.join(other, 'parties.json')).accounts;
    expect(seated.some((a) => passwords.includes(a.password))).toBe(false);
    expect(seated.filter((a) => a.role === 'crew').map((a) => a.username)).toEqual(['crew', 'crew-2']);
    expect(readFileSync(path.join(other, 'acl'), 'utf8')).toContain('user crew-2\ntopic read sensor1/#\ntopic write sensor1/cmd/#\n');
  });

  it('refuses to replace an existing configuration (and its passwords) unless told to with --force', async () => {
    const dir = scratch();
    await cli('config', dir);
    const before = readFileSync(path.join(dir, 'parties.json'), 'utf8');
    const refused = await failing('config', dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/exists: refusing to replace a configuration and every password in it \(pass --force/);
    expect(readFileSync(path.join(dir, 'parties.json'), 'utf8')).toBe(before);
    chmodSync(path.join(dir, 'parties.json'), 0o644); // loosened meanwhile (a copy, an editor): the new passwords must not inherit it
    await cli('config', dir, '--force');
    expect(readFileSync(path.join(dir, 'parties.json'), 'utf8')).not.toBe(before);
    expect(statSync(path.join(dir, 'parties.json')).mode & 0o777).toBe(0o600);
  }, 120_000);
});

describe('password hashes in the real Mosquitto', () => {
  it("reads mosquitto_passwd's PBKDF2-SHA512 lines as the broker does, and refuses malformed ones", () => {
    const dir = scratch();
    const file = path.join(dir, 'pw');
    writeFileSync(file, 'pilot:correct horse\n');
    return run('mosquitto_passwd', ['-U', file]).then(() => {
      const entry = readFileSync(file, 'utf8').trim().split(':')[1];
      expect(entry).toMatch(/^\$7\$101\$/);
      expect(verifyMosquittoHash('correct horse', entry)).toBe(true);
      expect(verifyMosquittoHash('correct horsE', entry)).toBe(false);
      const [, , iterations, salt, hash] = entry.split('$');
      expect(mosquittoHash('correct horse', Buffer.from(salt, 'base64'), Number(iterations))).toBe(entry); // our hash, byte for byte
      expect(verifyMosquittoHash('correct horse', `$7$${iterations}$${Buffer.alloc(11).toString('base64')}$${hash}`)).toBe(false); // salt is 12 bytes
      expect(verifyMosquittoHash('correct horse', `$6$${salt}$${hash}`)).toBe(false);
    });
  });

  it.each(['builtin', 'mosquitto_passwd'] as const)('logs every account in with hashes made by %s, and no other password', async (tool) => {
    const dir = scratch();
    const port = await freePort();
    writeBrokerConfig({ dir, fleet: ['sensor1'], port, bind: '127.0.0.1', passwordTool: tool });
    const broker = await serve(dir, port);
    for (const account of broker.parties.accounts) {
      const c = await login(broker, account.username);
      c.client.end();
      expect(await refusedLogin(broker, { clientId: account.username, username: account.username, password: new TextEncoder().encode(account.password.slice(1)) })).toBe(5);
    }
  });
});

describe('the listeners', () => {
  it('serves TLS to clients with a certificate from the client CA (and a password), and refuses one without', async () => {
    const certificates = makeTestCertificates();
    const device = clientCertificate(certificates, 'sensor1');
    const dir = scratch();
    const [port, tlsPort] = [await freePort(), await freePort()];
    await cli('config', dir, '--port', String(port), '--bind', '127.0.0.1', '--tls-cert', certificates.chainFile, '--tls-key', certificates.keyFile, '--tls-port', String(tlsPort), '--client-ca', certificates.caFile);
    const broker = await serve(dir, port, tlsPort);
    const tlsBroker = { ...broker, port: tlsPort };
    const withCertificate = await login(tlsBroker, 'sensor1', { tls: { ca: certificates.ca, certificate: device.cert, key: device.key } });
    expect(withCertificate.client.connected).toBe(true);
    withCertificate.client.end();
    const stranger = testClient(tlsPort, { username: 'sensor1', password: new TextEncoder().encode('x'), tls: { ca: certificates.ca }, reconnect: { minDelayMs: 60_000, maxDelayMs: 60_000 } });
    const cut = stranger.next('disconnect');
    stranger.client.connect();
    const [error] = await cut;
    stranger.client.end();
    expect(error?.message).toMatch(/certificate|closed|reset|handshake/i);
    expect(await refusedLogin(tlsBroker, { clientId: 'sensor1', username: 'sensor1', password: new TextEncoder().encode('wrong'), tls: { ca: certificates.ca, certificate: device.cert, key: device.key } })).toBe(5);
  });

  it('with --no-plain opens no listener that takes a password alone: TLS with a client certificate is the only way in', async () => {
    const certificates = makeTestCertificates();
    const device = clientCertificate(certificates, 'sensor1');
    const dir = scratch();
    const tlsPort = await freePort();
    await cli('config', dir, '--no-plain', '--bind', '127.0.0.1', '--tls-cert', certificates.chainFile, '--tls-key', certificates.keyFile, '--tls-port', String(tlsPort), '--client-ca', certificates.caFile);
    expect(readFileSync(path.join(dir, 'mosquitto.conf'), 'utf8').match(/^listener .*$/gm)).toEqual([`listener ${tlsPort} 127.0.0.1`]);
    expect(readParties(path.join(dir, 'parties.json')).ports).toEqual({ mqtts: tlsPort });
    const broker = await serve(dir, tlsPort);
    expect(broker.log().match(/Opening \S+ listen socket on port \d+/g)).toEqual([`Opening ipv4 listen socket on port ${tlsPort}`]);
    const withCertificate = await login(broker, 'sensor1', { tls: { ca: certificates.ca, certificate: device.cert, key: device.key } });
    expect(withCertificate.client.connected).toBe(true);
    withCertificate.client.end();
    const passwordOnly = testClient(tlsPort, { username: 'sensor1', password: new TextEncoder().encode(broker.parties.accounts[0].password), tls: { ca: certificates.ca }, reconnect: { minDelayMs: 60_000, maxDelayMs: 60_000 } });
    const cut = passwordOnly.next('disconnect');
    passwordOnly.client.connect();
    const [error] = await cut;
    passwordOnly.client.end();
    expect(error?.message).toMatch(/certificate|closed|reset|handshake/i);
  });

  it('serves MQTT over WebSocket to a browser-style client, with the same logins and policy', async () => {
    const dir = scratch();
    const [port, wsPort] = [await freePort(), await freePort()];
    await cli('config', dir, '--port', String(port), '--bind', '127.0.0.1', '--websockets', String(wsPort));
    const broker = await serve(dir, port);
    const news = broker.parties.accounts.find((a) => a.username === 'news-station')!;
    const ws = await mqtt.connectAsync(`ws://127.0.0.1:${wsPort}`, { username: news.username, password: news.password, clientId: 'browser', reconnectPeriod: 0 });
    const received: string[] = [];
    ws.on('message', (topic) => received.push(topic));
    await ws.subscribeAsync('sensor1/#', { qos: 1 });
    const device = await login(broker, 'sensor1');
    device.client.publish('sensor1/altitude', '100.0', 1);
    device.client.publish('sensor1/emergency', '{"active":true,"kind":"crash"}', 1);
    while (received.length === 0) await new Promise((r) => setTimeout(r, 10));
    expect(received).toEqual(['sensor1/emergency']);
    device.client.end();
    await ws.endAsync();
    await expect(mqtt.connectAsync(`ws://127.0.0.1:${wsPort}`, { username: news.username, password: 'guess', reconnectPeriod: 0 })).rejects.toThrow(/Not authorized/i);
  });
});

describe('npm run broker -- rotate', () => {
  it("gives one account a new password: the reload cuts the old password's connection and refuses it, the new one and everyone else's still work", async () => {
    const dir = scratch();
    const port = await freePort();
    await cli('config', dir, '--port', String(port), '--bind', '127.0.0.1');
    const broker = await serve(dir, port);
    const before = broker.parties;
    const oldCrew = before.accounts.find((a) => a.username === 'crew')!.password;
    // Logged in before the rotation: the crew with the password about to be replaced (a thief, say), and the news station.
    const noReconnect = { reconnect: { minDelayMs: 600_000, maxDelayMs: 600_000 } };
    const stolen = await login(broker, 'crew', noReconnect);
    const bystander = await login(broker, 'news-station', noReconnect);
    const { stdout } = await cli('rotate', dir, 'crew');
    expect(stdout).toMatch(/new password for crew in .*parties\.json/);
    expect(stdout).toContain('kill -HUP');
    expect(stdout).toMatch(/disconnects whoever is still logged in as\s+crew with the old password/);
    const after = readParties(path.join(dir, 'parties.json'));
    const newCrew = after.accounts.find((a) => a.username === 'crew')!.password;
    expect(newCrew).not.toBe(oldCrew);
    expect(stdout).not.toContain(newCrew);
    expect(after.accounts.filter((a) => a.username !== 'crew')).toEqual(before.accounts.filter((a) => a.username !== 'crew'));
    const cut = stolen.next('disconnect');
    running.at(-1)!.reload();
    const reloaded = { ...broker, parties: after };
    // SIGHUP is asynchronous: wait until the broker has read the new file.
    while (!/Reloading config/.test(broker.log())) await new Promise((r) => setTimeout(r, 20));
    // Mosquitto checks the connected clients again on reload: the old password's connection is cut
    // at once; the news station's, checked in the same pass, still answers.
    await cut;
    stolen.client.end();
    expect(await subscribeOn(bystander, 'sensor1/emergency')).toEqual([1]);
    bystander.client.end();
    (await login(reloaded, 'crew')).client.end();
    expect(await refusedLogin(broker, { clientId: 'crew', username: 'crew', password: new TextEncoder().encode(oldCrew) })).toBe(5);
    (await login(reloaded, 'news-station')).client.end();
    expect(() => rotatePassword(dir, 'pilot')).toThrow(/no account "pilot" in .*; the accounts are sensor1, crew/);
  });
});
