// Link liveness and reconnect pacing (transcripts from host-tests/xs/scenarios/mqtt-liveness.ts),
// checked on Node; the same scenarios on the real XS engine must give identical transcripts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as scenarios from '../xs/scenarios/mqtt-liveness';
import { runOnXs } from '../xs/run-scenario';
import { SessionHarness } from '../fakes/session-harness';

const scenarioFile = new URL('../xs/scenarios/mqtt-liveness.ts', import.meta.url).pathname;
const silence = (ms: number) => `the broker has not answered for ${ms} ms while 1 packet(s) await an acknowledgement: the link is dead; they are sent again after reconnecting [MQTT-4.4]`;

describe('MQTT link liveness (sans-I/O, virtual clock)', () => {
  it('sends PINGREQ after ¾ keepalive of silence and declares the link dead when PINGRESP has not come within ½ keepalive', () => {
    expect(scenarios.pingAtThreeQuartersAndPingrespDeadline()).toEqual([
      '-- 7499',
      '> PINGREQ',
      '-- 7500: answered',
      '> PINGREQ',
      '-- 15000: no answer',
      '-- 19999',
      'event error PINGRESP_TIMEOUT: no PINGRESP within 5000 ms: the link is dead (half-open) [MQTT-3.1.2-24]',
      'event disconnected: no PINGRESP within 5000 ms: the link is dead (half-open) [MQTT-3.1.2-24]',
      'close transport',
      '-- 20000',
      'open transport',
    ]);
  });

  it('pings a QoS 0 publisher too: sending proves nothing, the broker has not answered for ¾ keepalive', () => {
    const log = scenarios.qos0PublisherStillPings();
    expect(log.slice(log.indexOf('-- 7000'))).toEqual(['-- 7000', '> PUBLISH q0 dup=0 t=sensor1/altitude p=7', '> PINGREQ', '-- 8000', '> PUBLISH q0 dup=0 t=sensor1/altitude p=8']);
    expect(log.filter((l) => l === '> PINGREQ')).toHaveLength(1);
  });

  it('sends no PINGREQ while acknowledgements keep coming', () => {
    expect(scenarios.noPingWhileAcksFlow()).toEqual(['pings 0', 'publishes 60', 'state connected']);
  });

  it('closes the link when a QoS 1 publish is not acknowledged within ½ keepalive, reconnects and resends it with DUP', () => {
    expect(scenarios.unansweredPublishReconnectsAndResends()).toEqual([
      '-- 5999',
      `event error ACK_TIMEOUT: ${silence(5000)}`,
      `event disconnected: ${silence(5000)}`,
      'close transport',
      '-- 6000',
      'open transport',
      '> CONNECT id=sensor1 clean=0 ka=10',
      '> PUBLISH q1 id=1 dup=1 t=sensor1/telemetry p=kept',
      'event connected sp=1',
      'completed 1',
    ]);
  });

  it('restarts the response clock on every answer, with a configured response timeout', () => {
    expect(scenarios.eachAnswerRestartsTheResponseClock()).toEqual([
      '-- 3499', // PUBACK 1 came at 1500: publish 2 has until 3500
      `event error ACK_TIMEOUT: ${silence(2000)}`,
      `event disconnected: ${silence(2000)}`,
      'close transport',
    ]);
  });

  it('has no PINGREQ and no response timeout with keepalive 0 unless one is configured', () => {
    expect(scenarios.keepaliveZeroDisablesPings()).toEqual(['wake Infinity', 'state connected']);
  });

  it('refuses a response timeout that is not a positive number of milliseconds', () => {
    expect(() => new SessionHarness({ responseTimeoutMs: 0 })).toThrow(/responseTimeoutMs must be more than 0, not 0/);
  });

  it('finds a dead link within 1.5 × keepalive whatever the client was doing when it died', () => {
    const keepaliveS = 10;
    const activity = fc.array(
      fc.record({ gapMs: fc.integer({ min: 0, max: 20_000 }), qos: fc.constantFrom(0 as const, 1 as const, 'subscribe' as const, 'idle' as const) }),
      { maxLength: 20 },
    );
    fc.assert(
      fc.property(activity, fc.integer({ min: 0, max: 30_000 }), activity, (before, deathAfterMs, after) => {
        const h = new SessionHarness({ keepaliveS, reconnect: { minDelayMs: 60_000 } }).connect();
        // A broker that answers everything at once, until the link dies; then nothing comes back.
        let alive = true;
        const answer = () => {
          if (!alive) return;
          for (const line of h.take()) {
            const id = /^> PUBLISH q1 id=(\d+)/.exec(line)?.[1] ?? /^> SUBSCRIBE id=(\d+)/.exec(line)?.[1];
            if (line === '> PINGREQ') h.receive({ type: 'pingresp' });
            else if (line.startsWith('> PUBLISH q1')) h.receive({ type: 'puback', packetId: Number(id) });
            else if (line.startsWith('> SUBSCRIBE')) h.receive({ type: 'suback', packetId: Number(id), granted: [1] });
          }
        };
        const act = (step: { gapMs: number; qos: 0 | 1 | 'subscribe' | 'idle' }) => {
          for (let waited = 0; waited < step.gapMs && h.session.connected; waited += 100) {
            h.advance(Math.min(100, step.gapMs - waited));
            answer();
          }
          if (!h.session.connected) return;
          if (step.qos === 'subscribe') h.subscribe('a/b', 1);
          else if (step.qos !== 'idle' && h.session.canPublish(step.qos)) h.publish('t', 'x', step.qos);
          answer();
        };
        before.forEach(act);
        for (let waited = 0; waited < deathAfterMs && h.session.connected; waited += 100) {
          h.advance(100);
          answer();
        }
        if (!h.session.connected) return; // (a test of the test: the broker answered everything)
        alive = false;
        const diedAt = h.now;
        after.forEach((step) => h.session.connected && act(step));
        for (let waited = 0; waited < 10 * keepaliveS * 1000 && h.session.connected; waited += 100) h.advance(100);
        expect(h.session.connected).toBe(false);
        // ¾ keepalive to the PINGREQ at the latest, then the response timeout (½ keepalive): 1.25 ×.
        expect(h.disconnectedAt! - diedAt).toBeLessThanOrEqual(1.25 * keepaliveS * 1000);
      }),
      { numRuns: 300 },
    );
  });
});

describe('MQTT reconnect pacing', () => {
  it('keeps growing the backoff while connections die young, and starts again only after one stayed up 60 s', () => {
    expect(scenarios.backoffResetsOnlyAfterAStableConnection()).toEqual(['100', '200', '400', '800', '1000', '1000', '100']);
  });

  it('takes up to the jitter fraction off each delay at random', () => {
    expect(scenarios.backoffJitter()).toEqual(['1000', '850', '700']);
  });

  it('reports a session taken over when the broker closes us soon after accepting us, twice in a row', () => {
    expect(scenarios.sessionTakenOverIsReported()).toEqual([
      '-- one closure',
      'event taken over after 2 closures',
      '-- two closures',
      'event taken over after 3 closures',
      '-- a failed attempt in between',
    ]);
  });
});

describe('the same liveness scenarios on the XS engine', () => {
  it.each(Object.keys(scenarios))('%s gives the same transcript on XS as on Node', async (name) => {
    const onNode = (scenarios as Record<string, () => string[]>)[name]();
    const { value } = await runOnXs(scenarioFile, name);
    expect(value).toEqual(onNode);
  });
});
