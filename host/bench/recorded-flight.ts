// A day of telemetry as the node would publish it, and a publisher that pushes it through a broker
// as fast as QoS 1 lets it: how the page benchmark gets 24 simulated hours (86,400 readings) into the
// page without depending on the simulated node keeping up with a 1 ms timer.
//
// Why not `npm start -- --speed 1000` itself: its sampler is then a 1 ms Node interval, which fired
// 675 to 728 times a second here in a bare process (Node re-arms an interval after its callback, and
// a shared machine adds its own delays), while the scaled clock runs on regardless; and every
// reading costs the whole system (node, broker, four terminal subscribers, live view, page) CPU on
// top. A 24 h run there gives the page a fraction of the readings, with gaps of minutes (the bench's
// last table measures it). Here the readings are the node's own (its altimeter and estimator over
// the simulated barometer flying the physical model's normal flight, and its telemetry payload),
// computed on a virtual clock that advances one second per reading; only the delivery runs in real
// time.
import { TelemetryRecord } from '../../src/app/telemetry-record';
import { telemetryPayload } from '../../src/app/topics';
import { MqttClient, utf8Payload } from '../../src/mqtt/client';
import { nodeClock } from '../../src/platform/node/clock';
import { nodeSocketFactory } from '../../src/platform/node/socket';
import type { Clock } from '../../src/ports';
import { Altimeter } from '../../src/sensor/altimeter';
import { flyScenario, type ScenarioName } from '../../src/sim/scenarios';

/** The node's boot counter for the recorded day: one boot, so seq alone orders it. */
const BOOT = 1;

/** `count` telemetry payloads, one a second from `startMs`, as the node computes them. */
export function recordFlight(count: number, startMs: number, scenario: ScenarioName = 'normal'): string[] {
  let now = startMs;
  const clock: Clock = {
    now: () => now,
    // The altimeter schedules nothing; a recovery after a fault would read the clock, not a timer.
    setTimer: () => ({}),
    setRepeatingTimer: () => ({}),
    clearTimer: () => {},
  };
  const { barometer } = flyScenario(scenario, clock, { startMs });
  const altimeter = new Altimeter({ open: () => barometer, clock });
  const record = new TelemetryRecord();
  const payloads: string[] = [];
  for (let seq = 1; seq <= count; seq++) {
    now = startMs + seq * 1000;
    payloads.push(telemetryPayload(record.fromReading(BOOT, seq, altimeter.read())));
  }
  return payloads;
}

export interface Publisher {
  /** Publishes payloads[from, to) on `topic` at QoS 1, as fast as the broker acknowledges; resolves when all are acknowledged. */
  send(topic: string, payloads: readonly string[], from: number, to: number): Promise<void>;
  end(): void;
}

/** A device's client (logged in with its account) that publishes as fast as its in-flight window allows. */
export async function connectPublisher(port: number, username: string, password: string): Promise<Publisher> {
  const client = new MqttClient(
    { host: '127.0.0.1', port, clientId: username, username, password: utf8Payload(password), cleanSession: true, maxInflight: 64 },
    { socket: nodeSocketFactory, clock: nodeClock },
  );
  await new Promise<void>((resolve, reject) => {
    client.on('connect', () => resolve());
    client.on('error', reject);
    client.connect();
  });
  // One listener for the client's life (it has no off()): it drives whichever send is running.
  let onAcknowledged = () => {};
  client.on('published', () => onAcknowledged());
  return {
    send: (topic, payloads, from, to) =>
      new Promise<void>((resolve) => {
        let next = from;
        let unacknowledged = 0;
        const pump = () => {
          while (next < to && client.canPublish(1)) {
            client.publish(topic, payloads[next++], 1);
            unacknowledged++;
          }
          if (next === to && unacknowledged === 0) resolve();
        };
        onAcknowledged = () => {
          unacknowledged--;
          pump();
        };
        pump();
      }),
    end: () => client.end(),
  };
}
