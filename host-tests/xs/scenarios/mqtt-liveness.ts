// Link liveness and reconnect pacing of the MQTT session on a virtual clock: when PINGREQ goes out,
// how long the broker may stay silent, how the backoff grows and when it starts again, and how a
// session taken over by another client with our id shows. Each returns its transcript; the suite
// checks them on Node and that XS gives the very same lines.
import { SessionHarness } from '../../fakes/session-harness';
import type { Packet } from '../../../src/mqtt/packets';

const connack = (sessionPresent = false): Packet => ({ type: 'connack', sessionPresent, returnCode: 0 });

/** Keepalive 10 s: PINGREQ at 7.5 s of silence, PINGRESP restarts the count, none at 5 s after the next PINGREQ is fatal. */
export function pingAtThreeQuartersAndPingrespDeadline(): string[] {
  const h = new SessionHarness({ keepaliveS: 10, reconnect: { minDelayMs: 500, jitter: 0 } }).connect();
  h.take();
  h.advance(7499);
  h.log.push(`-- ${h.now}`);
  h.advance(1);
  h.receive({ type: 'pingresp' });
  h.log.push(`-- ${h.now}: answered`);
  h.advance(7500);
  h.log.push(`-- ${h.now}: no answer`);
  h.advance(4999);
  h.log.push(`-- ${h.now}`);
  h.advance(1);
  h.log.push(`-- ${h.now}`);
  h.advance(500);
  return h.take();
}

/** A QoS 0 publisher sends all the time, yet the broker never answers it: it pings at 7.5 s all the same. */
export function qos0PublisherStillPings(): string[] {
  const h = new SessionHarness({ keepaliveS: 10 }).connect();
  h.take();
  for (let s = 1; s <= 8; s++) {
    h.advance(1000);
    h.log.push(`-- ${h.now}`);
    h.publish('sensor1/altitude', String(s), 0);
  }
  return h.take().filter((line) => !line.startsWith('completed'));
}

/** Acknowledged QoS 1 publishes every second keep the link proven: no PINGREQ in a minute. */
export function noPingWhileAcksFlow(): string[] {
  const h = new SessionHarness({ keepaliveS: 10 }).connect();
  h.take();
  let packetId = 0;
  for (let s = 1; s <= 60; s++) {
    h.advance(1000);
    h.publish('sensor1/telemetry', String(s), 1);
    packetId = (packetId % 16) + 1;
    h.receive({ type: 'puback', packetId });
  }
  const log = h.take();
  return [`pings ${log.filter((l) => l === '> PINGREQ').length}`, `publishes ${log.filter((l) => l.startsWith('> PUBLISH')).length}`, `state ${h.session.state}`];
}

/** A QoS 1 publish that is never acknowledged: after the response timeout the link is closed, and the publish goes again with DUP. */
export function unansweredPublishReconnectsAndResends(): string[] {
  const h = new SessionHarness({ keepaliveS: 10, cleanSession: false, reconnect: { minDelayMs: 200, jitter: 0 } }).connect();
  h.advance(1000);
  h.publish('sensor1/telemetry', 'kept', 1);
  h.take();
  h.advance(4999);
  h.log.push(`-- ${h.now}`);
  h.advance(1);
  h.log.push(`-- ${h.now}`);
  h.advance(200).opened().receive(connack(true));
  h.receive({ type: 'puback', packetId: 1 });
  return h.take();
}

/** Every answer restarts the clock for what still waits; a configured timeout replaces half the keepalive. */
export function eachAnswerRestartsTheResponseClock(): string[] {
  const h = new SessionHarness({ keepaliveS: 60, responseTimeoutMs: 2000 }).connect();
  h.publish('t', 'a', 1);
  h.advance(1000);
  h.publish('t', 'b', 1);
  h.advance(500);
  h.receive({ type: 'puback', packetId: 1 });
  h.take();
  h.advance(1999);
  h.log.push(`-- ${h.now}`);
  h.advance(1);
  return h.take();
}

/** With keepalive 0 there is no PINGREQ and, unless configured, no response timeout. */
export function keepaliveZeroDisablesPings(): string[] {
  const h = new SessionHarness({ keepaliveS: 0 }).connect();
  h.publish('t', 'a', 1);
  h.take();
  h.advance(3_600_000);
  return [...h.take(), `wake ${h.session.out.wakeAtMs}`, `state ${h.session.state}`];
}

/** Connections lost soon after CONNACK keep growing the backoff; one that stayed up 60 s starts it again. */
export function backoffResetsOnlyAfterAStableConnection(): string[] {
  const h = new SessionHarness({ keepaliveS: 0, reconnect: { minDelayMs: 100, maxDelayMs: 1000, jitter: 0 } }); // no pings to answer
  h.start();
  const delays: string[] = [];
  const delay = () => delays.push(String(h.session.out.wakeAtMs - h.now));
  h.closed('refused');
  delay();
  for (let i = 0; i < 5; i++) {
    h.advance(h.session.out.wakeAtMs - h.now).opened().receive(connack());
    h.advance(5000); // up 5 s, well short of stable (60 s)
    h.closed('reset by peer');
    delay();
  }
  h.advance(h.session.out.wakeAtMs - h.now).opened().receive(connack());
  h.advance(60_000);
  h.closed('reset by peer');
  delay();
  return delays;
}

/** Jitter takes up to its fraction off each delay, at random. */
export function backoffJitter(): string[] {
  const delays: string[] = [];
  for (const random of [0, 0.5, 0.999]) {
    const h = new SessionHarness({ reconnect: { minDelayMs: 1000, jitter: 0.3 }, random: () => random });
    h.start().closed('refused');
    delays.push(String(h.session.out.wakeAtMs - h.now));
  }
  return delays;
}

/** Closed soon after CONNACK and accepted again at once, twice in a row: reported as a session taken over. A failed attempt in between is not. */
export function sessionTakenOverIsReported(): string[] {
  const h = new SessionHarness({ keepaliveS: 10, reconnect: { minDelayMs: 100, jitter: 0 } }).connect();
  const cycle = () => {
    h.advance(2000);
    h.closed('closed by the peer');
    h.advance(h.session.out.wakeAtMs - h.now).opened().receive(connack());
  };
  cycle();
  h.log.push('-- one closure');
  cycle();
  h.log.push('-- two closures');
  cycle();
  h.log.push('-- a failed attempt in between');
  h.advance(2000);
  h.closed('closed by the peer');
  h.advance(h.session.out.wakeAtMs - h.now).closed('connection refused');
  h.advance(h.session.out.wakeAtMs - h.now).opened().receive(connack());
  return h.take().filter((line) => line.startsWith('--') || line.startsWith('event taken'));
}
