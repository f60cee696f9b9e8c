// Two devices that share a client id, against a real Mosquitto: each CONNECT makes the broker close
// the other's connection, and the other reconnects and takes the session back. With the backoff reset
// at every CONNACK they kicked each other about once a second; now a connection must stay up a while
// before the backoff starts again, so the pair backs off. One minute of the nodes' time (a virtual
// clock shared by both; real sockets, a real broker, yielding to real I/O between clock steps).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttClient } from '../../src/mqtt/client';
import { nodeSocketFactory } from '../../src/platform/node/socket';
import type { StreamSocketFactory } from '../../src/ports';
import { VirtualClock } from '../fakes/virtual-clock';
import { startMosquitto, type Mosquitto } from '../support/mosquitto';
import { nodeRig, settle } from '../support/node-rig';

let broker: Mosquitto;

beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker.close();
});

const MINUTE_MS = 60_000;
const STEP_MS = 250;

/** A socket factory that counts connection attempts. */
function counting(attempts: { count: number }): StreamSocketFactory {
  return (options) => {
    attempts.count++;
    return nodeSocketFactory(options);
  };
}

/**
 * Advances the shared virtual clock; between steps, time stands still while a connection attempt
 * awaits the real broker (a loaded machine may take a while), so no connect timeout runs out for
 * want of real time.
 */
async function runFor(clock: VirtualClock, ms: number, clients: MqttClient[]): Promise<void> {
  const connecting = () => clients.some((c) => c.session.state === 'opening' || c.session.state === 'connecting');
  for (let waited = 0; waited < ms; waited += STEP_MS) {
    clock.advance(STEP_MS);
    await settle(2);
    for (let i = 0; i < 1000 && connecting(); i++) await settle(2);
  }
}

describe('two devices with the same client id', () => {
  it('back off instead of kicking each other every second, and each says another client took its session', async () => {
    const clock = new VirtualClock();
    const deviceId = `twin-${process.pid}-${Date.now()}`;
    const attempts = [{ count: 0 }, { count: 0 }];
    const rigs = attempts.map((a) => nodeRig(broker.port, { clock, config: { deviceId }, overrides: { socket: counting(a) } }));
    for (const rig of rigs) rig.node.start();
    await runFor(clock, MINUTE_MS, rigs.map((rig) => rig.node.client));
    for (const rig of rigs) rig.node.client.end();
    const reconnects = attempts[0].count + attempts[1].count - 2; // less each one's first connection
    // Delays of 1, 2, 4, 8, 16, then 30 s, less up to 30 % jitter: at most 6 reconnects each in a minute.
    expect(reconnects).toBeLessThanOrEqual(12);
    expect(reconnects).toBeGreaterThanOrEqual(4); // (the test's own check: they did fight over the id)
    const warnings = rigs.flatMap((rig) => rig.log.filter((line) => line.includes('another client with my id')));
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings[0]).toMatch(new RegExp(`^warning: another client with my id "${deviceId}" took the session: the broker closed our connection \\d+ times in a row soon after accepting it`));
  }, 60_000);

  it('would kick each other about once a second if every CONNACK reset the backoff (what the fix prevents)', async () => {
    const clock = new VirtualClock();
    const clientId = `twin-old-${process.pid}-${Date.now()}`;
    const attempts = [{ count: 0 }, { count: 0 }];
    const clients = attempts.map(
      (a) =>
        new MqttClient(
          // stableAfterMs 0: every connection counts as stable, so the backoff restarts at every CONNACK
          { host: '127.0.0.1', port: broker.port, clientId, keepaliveS: 30, reconnect: { minDelayMs: 1000, maxDelayMs: 30_000, jitter: 0.3, stableAfterMs: 0 } },
          { socket: counting(a), clock },
        ),
    );
    for (const client of clients) client.connect();
    await runFor(clock, MINUTE_MS, clients);
    for (const client of clients) client.end();
    const reconnects = attempts[0].count + attempts[1].count - 2;
    expect(reconnects).toBeGreaterThan(40);
  }, 60_000);
});
