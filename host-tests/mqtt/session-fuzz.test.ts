// The session fuzzer (host/fuzz/session-fuzz.ts), bounded: a hostile broker against the whole client.
// `npm run fuzz` runs the same for a minute on every core.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FuzzFailure, runSessionFuzz } from '../../host/fuzz/session-fuzz';
import { PacketDecoder } from '../../src/mqtt/decode';
import { MqttSession } from '../../src/mqtt/session';
import { SessionHarness } from '../fakes/session-harness';

afterEach(() => vi.restoreAllMocks());

describe('session fuzzing', () => {
  it('drives 20,000 hostile broker streams through the client: no exception escapes, bounds hold, no publish lost or completed twice', () => {
    const report = runSessionFuzz({ seed: 20261127, inputs: 20_000 });
    expect(report.inputs).toBe(20_000);
    // It reaches deep into the session, not only the decoder: every kind of outcome happens.
    for (const [what, count] of Object.entries(report.reached)) expect(count, what).toBeGreaterThan(50);
  }, 120_000);

  it('reports an exception that escapes the client, with the input and seed that caused it', () => {
    let calls = 0;
    const push = PacketDecoder.prototype.push;
    vi.spyOn(PacketDecoder.prototype, 'push').mockImplementation(function (this: PacketDecoder, ...args) {
      if (++calls === 500) throw new TypeError('a bug in the decoder');
      return push.apply(this, args);
    });
    expect(() => runSessionFuzz({ seed: 7, inputs: 5000 })).toThrow(FuzzFailure);
    expect(() => {
      calls = 0;
      runSessionFuzz({ seed: 7, inputs: 5000 });
    }).toThrow(/^input \d+ \(seed 7\): an exception escaped the client: TypeError: a bug in the decoder/);
  });

  it('reports a publish the session no longer holds although it was never completed', () => {
    const footprint = MqttSession.prototype.footprint;
    vi.spyOn(MqttSession.prototype, 'footprint').mockImplementation(function (this: MqttSession) {
      const real = footprint.call(this);
      return { ...real, inflight: Math.max(0, real.inflight - 1) };
    });
    expect(() => runSessionFuzz({ seed: 7, inputs: 5000 })).toThrow(/publishes in flight, but \d+ were published and not completed/);
  });
});

describe('what a hostile broker cannot make the session hold', () => {
  it('refuses a 65th incoming QoS 2 message awaiting PUBREL instead of tracking ids without end', () => {
    const h = new SessionHarness({ reconnect: { minDelayMs: 1000 } }).connect();
    const publish = (packetId: number) => ({ type: 'publish' as const, topic: 't', payload: new Uint8Array(0), qos: 2 as const, retain: false, dup: false, packetId });
    for (let id = 1; id <= 64; id++) h.receive(publish(id));
    expect(h.session.footprint().incomingQos2).toBe(64);
    h.take();
    h.receive(publish(65));
    expect(h.take().slice(0, 2)).toEqual([
      'event error TOO_MANY_QOS2: the broker has 64 QoS 2 messages awaiting PUBREL and sent another; this client holds at most 64 [MQTT-4.3.3]',
      'event disconnected: the broker has 64 QoS 2 messages awaiting PUBREL and sent another; this client holds at most 64 [MQTT-4.3.3]',
    ]);
  });
});
