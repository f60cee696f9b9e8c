// The device's login: where its credentials come from (the build config, else NVS), its TLS settings,
// and that a password never shows in its log, its info or its replies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerLogin, brokerTls, type NvsRead } from '../../src/platform/moddable/broker-login';
import { nodeClock } from '../../src/platform/node/clock';
import { nodeRig, settle } from '../support/node-rig';
import { login, passwordOf, startSecuredEmbedded, type SecuredBroker } from '../support/secured-brokers';
import { decode } from '../support/test-client';

/** NVS as modules/files/preference/esp32/modPreference.c reads it: a missing key is undefined. */
const nvs = (entries: Record<string, Record<string, string | number>>): NvsRead => (domain, key) => entries[domain]?.[key];

describe('where the device finds its login', () => {
  it('takes the build config first, its username defaulting to the device id', () => {
    const stored = nvs({ broker: { username: 'from-nvs', password: 'nvs-secret' } });
    expect(brokerLogin({ deviceId: 'sensor1', brokerUsername: 'balloon-7', brokerPassword: 'built-in' }, stored)).toEqual({ username: 'balloon-7', password: 'built-in' });
    expect(brokerLogin({ deviceId: 'sensor1', brokerUsername: '', brokerPassword: 'built-in' }, stored)).toEqual({ username: 'sensor1', password: 'built-in' });
  });

  it('falls back to NVS (namespace "broker"), so one build can serve a fleet', () => {
    expect(brokerLogin({ deviceId: 'sensor1', brokerPassword: '' }, nvs({ broker: { username: 'sensor9', password: 'nvs-secret' } }))).toEqual({ username: 'sensor9', password: 'nvs-secret' });
    expect(brokerLogin({ deviceId: 'sensor1' }, nvs({ broker: { password: 'nvs-secret' } }))).toEqual({ username: 'sensor1', password: 'nvs-secret' });
    expect(brokerLogin({ deviceId: 'sensor1' }, nvs({ broker: { password: 42 } }))).toEqual({}); // not a string: no login
    expect(brokerLogin({ deviceId: 'sensor1' }, nvs({}))).toEqual({}); // an open broker
  });

  it('builds its TLS settings: the broker CA, and a client certificate for mutual TLS', () => {
    expect(brokerTls({ deviceId: 'sensor1', brokerTls: false, brokerCa: 'QUJD' })).toBeUndefined();
    expect(brokerTls({ deviceId: 'sensor1', brokerTls: 1 })).toEqual({});
    expect(brokerTls({ deviceId: 'sensor1', brokerTls: 'true', brokerCa: 'QUJD', brokerClientCert: 'Q0VSVA==', brokerClientKey: 'S0VZ' })).toEqual({
      ca: '-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----',
      certificate: '-----BEGIN CERTIFICATE-----\nQ0VSVA==\n-----END CERTIFICATE-----',
      key: '-----BEGIN PRIVATE KEY-----\nS0VZ\n-----END PRIVATE KEY-----',
    });
  });
});

describe('the node with credentials', () => {
  let broker: SecuredBroker;
  beforeAll(async () => {
    broker = await startSecuredEmbedded();
  });
  afterAll(async () => {
    await broker.close();
  });

  it('logs in, works, and never shows its password in its log, its info or its replies', async () => {
    const password = passwordOf(broker, 'sensor1');
    const crew = await login(broker, 'crew');
    crew.client.subscribe('sensor1/#', 1);
    await crew.next('subscribed');
    const wrong = nodeRig(broker.port, { overrides: { broker: { host: '127.0.0.1', port: broker.port, username: 'sensor1', password: `${password}-old` }, networkClock: nodeClock } });
    wrong.node.start();
    while (!wrong.log.some((l) => l.includes('refused'))) await settle(10);
    await wrong.node.stop();
    expect(wrong.log.find((l) => l.includes('refused'))).toBe('mqtt: the broker refused the connection: not authorized (a wrong user name or password, or the broker does not allow this client: check the credentials)');

    const rig = nodeRig(broker.port, { overrides: { broker: { host: '127.0.0.1', port: broker.port, username: 'sensor1', password }, networkClock: nodeClock } });
    rig.node.start();
    while (!rig.node.client.connected) await settle(10);
    await rig.fly(5);
    for (const [command, payload] of [['ping', '{"id":1}'], ['config', '{"id":2}'], ['config', '{"id":3,"password":"x"}'], ['zero', '{"id":4}'], ['ota', '{"id":5}']]) {
      crew.client.publish(`sensor1/cmd/${command}`, payload, 1);
    }
    while (crew.messages.filter((m) => m.topic === 'sensor1/reply').length < 5) await settle(10);
    await rig.node.stop();
    const published = crew.messages.map((m) => `${m.topic} ${decode(m.payload)}`);
    expect(published.some((p) => p.startsWith('sensor1/info {'))).toBe(true);
    expect(published.filter((p) => p.startsWith('sensor1/reply')).length).toBe(5);
    for (const text of [...published, ...rig.log, ...wrong.log]) expect(text).not.toContain(password);
    crew.client.end();
  });
});
