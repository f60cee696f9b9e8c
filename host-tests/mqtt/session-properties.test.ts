// Property: whatever the order of publishes, acks and reconnects, a packet id is never used for a
// new PUBLISH while another message holds it, every accepted publish completes exactly once, and a
// publish with the window full is refused (never silently dropped, never queued).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encode, PacketDecoder, type Packet } from '../../src/mqtt/codec';
import { MqttSession } from '../../src/mqtt/session';

type Op = { kind: 'publish'; qos: 1 | 2 } | { kind: 'ack'; pick: number } | { kind: 'drop' } | { kind: 'reconnect' };
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('publish' as const), qos: fc.constantFrom<1 | 2>(1, 2) }),
  fc.record({ kind: fc.constant('ack' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('drop' as const) }),
  fc.record({ kind: fc.constant('reconnect' as const) }),
);

describe('session properties', () => {
  it('never reuses a packet id while in flight and completes every publish exactly once', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), fc.integer({ min: 1, max: 6 }), (ops, window) => {
        const session = new MqttSession({
          clientId: 'p', cleanSession: false, maxInflight: window, reconnect: { minDelayMs: 1, jitter: 0 },
        });
        let now = 0;
        const inFlight = new Map<number, 1 | 2>(); // packet id → QoS of the message holding it
        const completed: number[] = [];
        const decoder = new PacketDecoder();
        const errors: string[] = [];
        const record = () => {
          const out = session.out;
          for (let i = 0; i < out.completedCount; i++) completed.push(out.completed[i]);
          for (const e of out.events) if (e.type === 'error') errors.push(e.error.message);
          decoder.push(out.tx.slice(0, out.txLength), (p: Packet) => {
            if (p.type === 'publish' && !p.dup) {
              expect(inFlight.has(p.packetId!), `id ${p.packetId} reused while in flight`).toBe(false);
              inFlight.set(p.packetId!, p.qos as 1 | 2);
            }
          });
        };
        const receive = (packet: Packet) => {
          session.receive(encode(packet), now);
          record();
        };
        const connect = () => {
          session.transportOpened(now);
          record();
          receive({ type: 'connack', sessionPresent: true, returnCode: 0 });
        };
        session.start(now);
        record();
        connect();
        let tokens = 0;
        for (const o of ops) {
          if (o.kind === 'publish') {
            const room = session.canPublish(o.qos);
            expect(room).toBe(session.inflightCount < window);
            try {
              session.publish('t', new Uint8Array([1]), o.qos, false, now);
              tokens++;
              record();
            } catch (error) {
              expect(room).toBe(false);
              expect((error as Error & { code: string }).code).toBe('WINDOW_FULL');
            }
          } else if (o.kind === 'ack' && session.connected && inFlight.size > 0) {
            const ids = [...inFlight.keys()];
            const id = ids[o.pick % ids.length];
            const qos = inFlight.get(id);
            inFlight.delete(id);
            if (qos === 1) receive({ type: 'puback', packetId: id });
            else {
              receive({ type: 'pubrec', packetId: id });
              receive({ type: 'pubcomp', packetId: id });
            }
          } else if (o.kind === 'drop' && session.connected) {
            session.transportClosed(now, new Error('drop')); // publishes until the reconnect are made offline
            record();
          } else if (o.kind === 'reconnect') {
            if (session.connected) {
              session.transportClosed(now, new Error('drop'));
              record();
            }
            now = Math.max(now + 10, session.out.wakeAtMs); // the backoff grows: connections here never stay up long
            session.tick(now);
            record();
            connect();
          }
        }
        if (!session.connected) {
          now = Math.max(now + 10, session.out.wakeAtMs);
          session.tick(now);
          record();
          connect(); // what was published offline goes out now
        }
        expect(errors).toEqual([]);
        expect(new Set(completed).size).toBe(completed.length);
        expect(completed.length + session.inflightCount).toBe(tokens);
        expect(session.inflightCount).toBe(inFlight.size);
      }),
      { numRuns: 300 },
    );
  });
});
