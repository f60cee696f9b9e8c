// MQTT session scenarios on a virtual clock. Each returns its transcript; the suite checks the
// transcripts' content on Node and that XS produces the very same lines.
import { SessionHarness } from '../../fakes/session-harness';
import type { Packet } from '../../../src/mqtt/packets';

const connack = (sessionPresent = false, returnCode = 0): Packet => ({ type: 'connack', sessionPresent, returnCode });

export function connectWithWillAndCredentials(): string[] {
  const h = new SessionHarness({
    keepaliveS: 30,
    cleanSession: false,
    username: 'crew',
    password: new Uint8Array([0x73, 0x33, 0x63]),
    will: { topic: 'sensor1/status', payload: new Uint8Array([0x6f, 0x66, 0x66]), qos: 1, retain: true },
  });
  h.start().opened().receive(connack(true));
  return h.take();
}

export function refusedConnections(): string[] {
  const h = new SessionHarness({ reconnect: { minDelayMs: 1000, maxDelayMs: 8000, jitter: 0 } });
  h.start().opened();
  for (let code = 1; code <= 5; code++) {
    h.receive(connack(false, code));
    h.log.push(`wake in ${h.session.out.wakeAtMs - h.now}`);
    h.advance(h.session.out.wakeAtMs - h.now).opened();
  }
  return h.take();
}

export function qos0and1and2Publishes(): string[] {
  const h = new SessionHarness().connect();
  h.publish('sensor1/altitude', '1523.4', 0);
  h.publish('sensor1/telemetry', 'one', 1);
  h.publish('sensor1/emergency', 'two', 2);
  h.receive({ type: 'puback', packetId: 1 }, { type: 'pubrec', packetId: 2 }, { type: 'pubcomp', packetId: 2 });
  return h.take();
}

export function incomingQos1AndExactlyOnceQos2(): string[] {
  const h = new SessionHarness().connect();
  const publish = (qos: 1 | 2, packetId: number, dup: boolean, p: string): Packet => ({
    type: 'publish', topic: 'sensor1/cmd/ping', payload: new Uint8Array([...p].map((c) => c.charCodeAt(0))), qos, retain: false, dup, packetId,
  });
  h.receive(publish(1, 7, false, 'a'));
  h.receive(publish(2, 8, false, 'b'), publish(2, 8, true, 'b'));
  h.receive({ type: 'pubrel', packetId: 8 });
  h.receive(publish(2, 8, false, 'c'));
  return h.take();
}

export function resendAfterReconnectInOrder(): string[] {
  const h = new SessionHarness({ cleanSession: false, reconnect: { minDelayMs: 100, jitter: 0 } }).connect();
  h.publish('t/a', '1', 1);
  h.publish('t/b', '2', 2);
  h.publish('t/c', '3', 1);
  h.receive({ type: 'pubrec', packetId: 2 }, { type: 'puback', packetId: 3 });
  h.take();
  h.closed('cable cut');
  h.advance(100).opened().receive(connack(true));
  return h.take();
}

function attempt(h: SessionHarness, publish: () => void): void {
  try {
    publish();
  } catch (error) {
    h.log.push(`threw ${(error as Error & { code: string }).code}: ${(error as Error).message}`);
  }
}

export function windowFullRefusesTheNextPublish(): string[] {
  const h = new SessionHarness({ maxInflight: 2 }).connect();
  h.take();
  for (let i = 1; i <= 3; i++) attempt(h, () => h.publish('t', String(i), 1));
  h.log.push(`inflight=${h.session.inflightCount} can=${h.session.canPublish(1)}`);
  h.receive({ type: 'puback', packetId: 1 });
  h.log.push(`inflight=${h.session.inflightCount} can=${h.session.canPublish(1)}`);
  h.publish('t', '3', 1);
  h.receive({ type: 'puback', packetId: 2 }, { type: 'puback', packetId: 1 });
  return h.take();
}

export function offlinePublishesWaitInTheirSlots(): string[] {
  const h = new SessionHarness({ maxInflight: 2 });
  h.publish('t', '1', 1);
  h.publish('t', '2', 2);
  attempt(h, () => h.publish('t', '3', 1));
  attempt(h, () => h.publish('t', 'live', 0));
  h.connect();
  return h.take();
}

export function subscribeUnsubscribeAndFailure(): string[] {
  const h = new SessionHarness().connect();
  const token = h.session.subscribe([{ filter: 'sensor1/cmd/+', qos: 1 }, { filter: 'forbidden/#', qos: 2 }], h.now);
  h.apply(h.session.out);
  h.receive({ type: 'suback', packetId: 17, granted: [1, 0x80] });
  h.log.push(`token ${token}`);
  h.unsubscribe('sensor1/cmd/+');
  h.receive({ type: 'unsuback', packetId: 18 });
  return h.take();
}

export function resubscribesWhenBrokerLostSession(): string[] {
  const h = new SessionHarness({ cleanSession: false, reconnect: { minDelayMs: 10, jitter: 0 } }).connect();
  h.subscribe('sensor1/cmd/#', 1);
  h.receive({ type: 'suback', packetId: 17, granted: [1] });
  h.take();
  h.closed('reset').advance(10).opened().receive(connack(false));
  return h.take();
}

export function cleanDisconnect(): string[] {
  const h = new SessionHarness().connect();
  h.take();
  h.end();
  h.log.push(`state ${h.session.state} wake ${h.session.out.wakeAtMs}`);
  return h.take();
}

export function malformedInputReconnectsWithoutLoss(): string[] {
  const h = new SessionHarness({ cleanSession: false, reconnect: { minDelayMs: 10, jitter: 0 } }).connect();
  h.publish('t', 'kept', 1);
  h.take();
  h.receiveBytes(new Uint8Array([0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01])); // PUBLISH with QoS 3
  h.advance(10).opened().receive(connack(true));
  return h.take();
}

/**
 * The bytes of a PUBACK are a PUBACK only where a packet starts: inside a partly received PUBLISH
 * they are its payload. A PUBACK for a QoS 2 publish or for a free id is an error to report, and the
 * response clock restarts at every answer and stops when nothing awaits one.
 */
export function pubackChunksOnlyWhereAPacketStarts(): string[] {
  const h = new SessionHarness({ keepaliveS: 60, responseTimeoutMs: 5000 }).connect();
  h.publish('t', 'a', 1);
  h.publish('t', 'b', 2);
  h.take();
  h.receiveBytes(new Uint8Array([0x30, 0x07, 0x00, 0x01, 0x74])); // a QoS 0 PUBLISH to "t", its payload still to come
  h.receiveBytes(new Uint8Array([0x40, 0x02, 0x00, 0x01])); // its payload: PUBACK-shaped bytes
  h.log.push(`inflight=${h.session.inflightCount}`);
  h.receiveBytes(new Uint8Array([0x40, 0x02, 0x00, 0x02])); // PUBACK for the QoS 2 publish
  h.receiveBytes(new Uint8Array([0x40, 0x02, 0x00, 0x03])); // PUBACK for an id nobody holds
  h.advance(4000);
  h.receiveBytes(new Uint8Array([0x40, 0x02, 0x00, 0x01])); // the real PUBACK for id 1
  h.log.push(`inflight=${h.session.inflightCount} awaiting=${h.session.awaitingAnswer}`);
  h.advance(4999); // the clock restarted at that PUBACK: 5 s from there, not from the publish
  h.log.push('4999 ms after the PUBACK');
  h.receive({ type: 'pubrec', packetId: 2 }, { type: 'pubcomp', packetId: 2 });
  h.log.push(`inflight=${h.session.inflightCount} awaiting=${h.session.awaitingAnswer}`);
  h.advance(30_000); // nothing awaits an answer: no timeout, only the ping at ¾ keepalive
  return h.take();
}

export function packetBeforeConnackAndConnackTimeout(): string[] {
  const h = new SessionHarness({ connectTimeoutMs: 5000, reconnect: { minDelayMs: 10, jitter: 0 } });
  h.start().opened().receive({ type: 'pingresp' });
  h.advance(10).opened().advance(5000);
  return h.take();
}

export function rejectsBadArguments(): string[] {
  const h = new SessionHarness();
  const lines: string[] = [];
  for (const attempt of [
    () => h.publish('a/+/b', 'x'),
    () => h.publish('', 'x'),
    () => h.session.publish('t', new Uint8Array(), 3 as 0, false, 0),
    () => h.subscribe('a/#/b'),
    () => h.session.subscribe([], 0),
  ]) {
    try {
      attempt();
      lines.push('accepted');
    } catch (error) {
      lines.push(`${(error as Error & { code: string }).code}: ${(error as Error).message}`);
    }
  }
  return lines;
}
