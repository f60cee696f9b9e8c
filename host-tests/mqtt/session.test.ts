// Session behaviour on a virtual clock (transcripts from host-tests/xs/scenarios/mqtt-session.ts),
// checked on Node, and the same scenarios run on the real XS engine must give identical transcripts.
import { describe, expect, it } from 'vitest';
import * as scenarios from '../xs/scenarios/mqtt-session';
import { runOnXs } from '../xs/run-scenario';

const scenarioFile = new URL('../xs/scenarios/mqtt-session.ts', import.meta.url).pathname;

describe('MQTT session (sans-I/O, virtual clock)', () => {
  it('sends CONNECT with client id, clean-session flag, keepalive, credentials and a Last Will', () => {
    expect(scenarios.connectWithWillAndCredentials()).toEqual([
      'open transport',
      '> CONNECT id=sensor1 clean=0 ka=30 user=crew pass=s3c will=sensor1/status:off:q1:r1',
      'event connected sp=1',
    ]);
  });

  it('reports CONNACK return codes 1–5 as clear errors and retries with exponential backoff', () => {
    const log = scenarios.refusedConnections();
    expect(log.filter((l) => l.startsWith('event error'))).toEqual([
      'event error CONNECTION_REFUSED: the broker refused the connection: unacceptable protocol version (the broker does not speak MQTT 3.1.1)',
      'event error CONNECTION_REFUSED: the broker refused the connection: client identifier rejected (choose another client id)',
      'event error CONNECTION_REFUSED: the broker refused the connection: server unavailable (the MQTT service is down; will retry)',
      'event error CONNECTION_REFUSED: the broker refused the connection: bad user name or password (check the credentials in the config)',
      'event error CONNECTION_REFUSED: the broker refused the connection: not authorized (a wrong user name or password, or the broker does not allow this client: check the credentials)',
    ]);
    expect(log.filter((l) => l.startsWith('wake in'))).toEqual(['wake in 1000', 'wake in 2000', 'wake in 4000', 'wake in 8000', 'wake in 8000']);
  });

  it('completes QoS 0 on write, QoS 1 on PUBACK and QoS 2 after PUBREC → PUBREL → PUBCOMP', () => {
    expect(scenarios.qos0and1and2Publishes().slice(3)).toEqual([
      '> PUBLISH q0 dup=0 t=sensor1/altitude p=1523.4',
      'completed 1',
      '> PUBLISH q1 id=1 dup=0 t=sensor1/telemetry p=one',
      '> PUBLISH q2 id=2 dup=0 t=sensor1/emergency p=two',
      'completed 2',
      '> PUBREL id=2',
      'completed 3',
    ]);
  });

  it('acknowledges incoming QoS 1 and delivers incoming QoS 2 exactly once until PUBREL [MQTT-4.3.3]', () => {
    expect(scenarios.incomingQos1AndExactlyOnceQos2().slice(3)).toEqual([
      '> PUBACK id=7',
      'event message q1 t=sensor1/cmd/ping p=a',
      '> PUBREC id=8',
      'event message q2 t=sensor1/cmd/ping p=b',
      '> PUBREC id=8', // the DUP re-sent before PUBREL: acknowledged again, not delivered again
      '> PUBCOMP id=8',
      '> PUBREC id=8', // after PUBREL the id is free: a new message
      'event message q2 t=sensor1/cmd/ping p=c',
    ]);
  });

  it('resends unacknowledged QoS 1/2 publishes with DUP, in order, after reconnecting to a persistent session [MQTT-4.4.0-1]', () => {
    expect(scenarios.resendAfterReconnectInOrder()).toEqual([
      'event disconnected: cable cut',
      'open transport',
      '> CONNECT id=sensor1 clean=0 ka=60',
      '> PUBLISH q1 id=1 dup=1 t=t/a p=1',
      '> PUBREL id=2', // QoS 2 past PUBREC resumes with PUBREL, not a second PUBLISH
      'event connected sp=1',
    ]);
  });

  it('queues nothing: with every in-flight slot taken it refuses the next publish, and takes it once an ack frees a slot', () => {
    expect(scenarios.windowFullRefusesTheNextPublish()).toEqual([
      '> PUBLISH q1 id=1 dup=0 t=t p=1',
      '> PUBLISH q1 id=2 dup=0 t=t p=2',
      'threw WINDOW_FULL: all 2 in-flight slots are taken; "t" was not accepted (wait for a completion)',
      'inflight=2 can=false',
      'completed 1',
      'inflight=1 can=true',
      '> PUBLISH q1 id=1 dup=0 t=t p=3',
      'completed 2',
      'completed 3',
    ]);
  });

  it('holds offline QoS 1/2 publishes in their slots and sends them at CONNACK, in order, without DUP; refuses offline QoS 0', () => {
    expect(scenarios.offlinePublishesWaitInTheirSlots()).toEqual([
      'threw WINDOW_FULL: all 2 in-flight slots are taken; "t" was not accepted (wait for a completion)',
      'threw NOT_CONNECTED: QoS 0 publish to "t" while not connected: QoS 0 is sent now or not at all',
      'open transport',
      '> CONNECT id=sensor1 clean=1 ka=60',
      '> PUBLISH q1 id=1 dup=0 t=t p=1',
      '> PUBLISH q2 id=2 dup=0 t=t p=2',
      'event connected sp=0',
    ]);
  });

  it('reports granted QoS per filter, including the 0x80 failure, and acknowledges unsubscribe', () => {
    const log = scenarios.subscribeUnsubscribeAndFailure();
    expect(log).toContain('event subscribed 1 [1,128]');
    expect(log).toContain('event unsubscribed 2');
  });

  it('restores subscriptions when the broker answers session-present = 0', () => {
    expect(scenarios.resubscribesWhenBrokerLostSession()).toContain('> SUBSCRIBE id=18 sensor1/cmd/#:q1');
  });

  it('ends with DISCONNECT and stops all timers', () => {
    expect(scenarios.cleanDisconnect()).toEqual(['> DISCONNECT', 'close transport', 'state ended wake Infinity']);
  });

  it('closes on malformed input with a typed error, reconnects, and loses nothing in flight', () => {
    const log = scenarios.malformedInputReconnectsWithoutLoss();
    expect(log[0]).toBe('event error INVALID_QOS: PUBLISH has both QoS bits set (QoS 3) [MQTT-3.3.1-4]');
    expect(log).toContain('> PUBLISH q1 id=1 dup=1 t=t p=kept');
  });

  it('treats a packet before CONNACK and a missing CONNACK as errors and reconnects', () => {
    const log = scenarios.packetBeforeConnackAndConnackTimeout();
    expect(log).toContain('event error EXPECTED_CONNACK: the broker sent PINGRESP before CONNACK [MQTT-3.2.0-1]');
    expect(log).toContain('event error CONNACK_TIMEOUT: no CONNACK within 5000 ms [MQTT-3.1.4]');
  });

  it('takes PUBACK bytes for a PUBACK only where a packet starts, reports one nobody awaits, and restarts the response clock at each', () => {
    expect(scenarios.pubackChunksOnlyWhereAPacketStarts()).toEqual([
      'event message q0 t=t p=@\x02\x00\x01', // the payload of a PUBLISH split before it
      'inflight=2',
      'event error UNSOLICITED_ACK: the broker sent PUBACK for packet id 2, which is not awaiting it [MQTT-4.3]', // a QoS 2 publish
      'event error UNSOLICITED_ACK: the broker sent PUBACK for packet id 3, which is not awaiting it [MQTT-4.3]',
      'completed 1',
      'inflight=1 awaiting=true',
      '4999 ms after the PUBACK', // no ACK_TIMEOUT 5 s after the publish: the PUBACK restarted the clock
      '> PUBREL id=2',
      'completed 2',
      'inflight=0 awaiting=false',
    ]);
  });

  it('rejects invalid topics, filters and QoS with the rule they break', () => {
    expect(scenarios.rejectsBadArguments()).toEqual([
      'INVALID_TOPIC: cannot publish to "a/+/b": a topic name must not contain the wildcards + or # [MQTT-3.3.2-2]',
      'INVALID_TOPIC: cannot publish to "": a topic name must be at least one character long [MQTT-4.7.3-1]',
      'INVALID_QOS: QoS 3 is not 0, 1 or 2',
      'INVALID_TOPIC_FILTER: cannot subscribe to "a/#/b": # must be the last character of a topic filter and stand alone in its level [MQTT-4.7.1-2]',
      'EMPTY_SUBSCRIBE: subscribe needs at least one topic filter',
    ]);
  });
});

describe('the same session scenarios on the XS engine', () => {
  it.each(Object.keys(scenarios))('%s gives the same transcript on XS as on Node', async (name) => {
    const onNode = (scenarios as Record<string, () => string[]>)[name]();
    const { value } = await runOnXs(scenarioFile, name);
    expect(value).toEqual(onNode);
  });
});
