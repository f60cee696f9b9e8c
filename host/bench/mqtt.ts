// npm run bench:mqtt — our MQTT client against the ones people use, measured in the same run:
//   codec: PUBLISH decode/encode throughput vs mqtt-packet (the codec inside MQTT.js)
//   end to end: QoS 0 / QoS 1 publish rate to one Mosquitto vs MQTT.js
//   on XS: computrons and heap bytes per steady-state publish, beside the Moddable SDK's own client
//   (modules/network/mqtt/mqtt.js, loaded from the SDK) on the same engine
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import path from 'node:path';
import { encode, encodeInto, encodePublishInto, PacketDecoder, publishRemainingLength, type Packet } from '../../src/mqtt/codec';
import { MqttClient } from '../../src/mqtt/client';
import { TopicCache } from '../../src/mqtt/topic';
import { nodeClock } from '../../src/platform/node/clock';
import { nodeSocketFactory } from '../../src/platform/node/socket';
import { startMosquitto } from '../mosquitto';
import { measureSteadyStateOnXs, runOnXs } from '../../host-tests/xs/run-scenario';
import { moddableMqttModules } from './xs/moddable-reference';
import { interleaved, printTable, rate, type Row } from './report';

const ROUNDS = 5;
const TELEMETRY = Buffer.from(JSON.stringify({ seq: 123456, ts: 1795795200000, alt: 1523.4, vs: -2.31, p: 84512.3, t: 12.5, q: 'ok' }));
const SMALL_PUBLISH: Packet = { type: 'publish', topic: 'sensor1/telemetry', payload: new Uint8Array(TELEMETRY), qos: 1, retain: false, dup: false, packetId: 42 };

async function codecRows(): Promise<Row[]> {
  const batch = 1000;
  const one = encode(SMALL_PUBLISH);
  const stream = new Uint8Array(Buffer.concat(Array.from({ length: batch }, () => one)));
  const streamBuffer = Buffer.from(stream);
  const decoder = new PacketDecoder();
  let sink = 0;
  const onPacket = () => sink++;
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  parser.on('packet', onPacket);
  const decode = await interleaved(
    ROUNDS,
    () => rate(batch, () => decoder.push(stream, onPacket)),
    () => rate(batch, () => parser.parse(streamBuffer)),
  );

  const oracle = { cmd: 'publish', topic: 'sensor1/telemetry', payload: TELEMETRY, qos: 1, retain: false, dup: false, messageId: 42 } as const;
  const target = new Uint8Array(4096);
  const encodeObject = await interleaved(
    ROUNDS,
    () => rate(batch, () => { for (let i = 0; i < batch; i++) encodeInto(SMALL_PUBLISH, target, 0); }),
    () => rate(batch, () => { for (let i = 0; i < batch; i++) mqttPacket.generate(oracle); }),
  );
  const topics = new TopicCache();
  const payload = new Uint8Array(TELEMETRY);
  const encodeHot = await interleaved(
    ROUNDS,
    () => rate(batch, () => {
      for (let i = 0; i < batch; i++) {
        const topic = topics.field('sensor1/telemetry');
        encodePublishInto(target, 0, 1 << 1, publishRemainingLength(topic.length, payload.length, 1), topic, 42, payload);
      }
    }),
    () => rate(batch, () => { for (let i = 0; i < batch; i++) mqttPacket.generate(oracle); }),
  );
  if (sink < 0) throw new Error('unreachable');
  return [
    { name: 'PUBLISH decode (103 B, QoS 1)', ours: decode.ours, reference: decode.reference, unit: 'pkt/s', better: 'higher', goal: '≥ 3×' },
    { name: 'PUBLISH encode, packet object', ours: encodeObject.ours, reference: encodeObject.reference, unit: 'pkt/s', better: 'higher', goal: '≥ 2×' },
    { name: 'PUBLISH encode, hot path (cached topic)', ours: encodeHot.ours, reference: encodeHot.reference, unit: 'pkt/s', better: 'higher', goal: '≥ 2×' },
  ];
}

interface PublisherHooks {
  /** Call when connected, just before the first publish. */
  began(): void;
  /** Call for each QoS 1 publish acknowledged. */
  acked(): void;
}
/** Starts a publisher of `count` messages on `topic`; returns how to stop it. */
type Publisher = (topic: string, hooks: PublisherHooks) => () => void;

/**
 * One timed run. QoS 1 ends when the publisher has every PUBACK; QoS 0 has no ack, so it ends when
 * one subscriber (the same MQTT.js subscriber for both clients) has received them all.
 */
async function timedRun(port: number, qos: 0 | 1, count: number, publisher: Publisher): Promise<number> {
  const topic = `bench/${qos}/${Date.now()}/${Math.random()}`;
  const subscriber = qos === 0 ? mqtt.connect({ host: '127.0.0.1', port, protocolVersion: 4 }) : undefined;
  if (subscriber) await new Promise<void>((resolve) => subscriber.on('connect', () => subscriber.subscribe(topic, { qos: 0 }, () => resolve())));
  return new Promise((resolve) => {
    let began = 0n;
    let received = 0;
    let acked = 0;
    const finish = () => {
      const seconds = Number(process.hrtime.bigint() - began) / 1e9;
      stop();
      subscriber?.end(true);
      resolve(count / seconds);
    };
    subscriber?.on('message', () => ++received === count && finish());
    const stop = publisher(topic, {
      began: () => (began = process.hrtime.bigint()),
      acked: () => qos === 1 && ++acked === count && finish(),
    });
  });
}

function oursPublisher(port: number, qos: 0 | 1, count: number): Publisher {
  return (topic, hooks) => {
    const client = new MqttClient(
      { host: '127.0.0.1', port, clientId: `bench-ours-${Date.now()}`, maxInflight: 1000 },
      { socket: nodeSocketFactory, clock: nodeClock },
    );
    // Our client queues nothing: it publishes while the window has room, and again as acks free it.
    let sent = 0;
    const publishMore = () => {
      for (; sent < count && client.canPublish(qos); sent++) client.publish(topic, TELEMETRY, qos);
    };
    client.on('published', () => {
      hooks.acked();
      if (qos === 1) publishMore();
    });
    client.on('connect', () => {
      hooks.began();
      publishMore();
    });
    client.connect();
    return () => client.end();
  };
}

function mqttJsPublisher(port: number, qos: 0 | 1, count: number): Publisher {
  return (topic, hooks) => {
    const client = mqtt.connect({ host: '127.0.0.1', port, protocolVersion: 4 });
    client.on('connect', () => {
      client.stream.setMaxListeners(0); // MQTT.js adds a 'drain' listener per waiting publish
      hooks.began();
      for (let i = 0; i < count; i++) client.publish(topic, TELEMETRY, { qos }, hooks.acked);
    });
    return () => client.end(true);
  };
}

export async function endToEndRows(): Promise<Row[]> {
  const broker = await startMosquitto();
  try {
    const rows: Row[] = [];
    for (const qos of [0, 1] as const) {
      const count = qos === 0 ? 50_000 : 20_000;
      const result = await interleaved(
        3,
        () => timedRun(broker.port, qos, count, oursPublisher(broker.port, qos, count)),
        () => timedRun(broker.port, qos, count, mqttJsPublisher(broker.port, qos, count)),
      );
      rows.push({ name: `end to end QoS ${qos} publishes to Mosquitto`, ours: result.ours, reference: result.reference, unit: 'msg/s', better: 'higher', goal: qos === 1 ? '≥ 2×' : '≥ 1.5×' });
    }
    return rows;
  } finally {
    await broker.close();
  }
}

export async function xsRows(): Promise<Row[]> {
  const ours = path.resolve(import.meta.dirname, '../../host-tests/xs/scenarios/publish-steady-state.ts');
  const moddable = path.resolve(import.meta.dirname, 'xs/moddable-publish.ts');
  const iterations = 1000;
  const modules = await moddableMqttModules();
  // Both must put the very same PUBLISH on the wire, or the comparison means nothing.
  const [oursBytes, theirBytes] = [(await runOnXs(ours, 'wireBytes')).value, (await runOnXs(moddable, 'wireBytes', [], modules)).value];
  if (oursBytes !== theirBytes || typeof oursBytes !== 'string' || oursBytes.length < 10) {
    throw new Error(`the two clients do not send the same PUBLISH: ours ${oursBytes}, Moddable's ${theirBytes}`);
  }
  const reference = await measureSteadyStateOnXs(moddable, { modules, iterations });
  const qos0 = await measureSteadyStateOnXs(ours, { setupArgs: [0, false], iterations });
  const qos0Listening = await measureSteadyStateOnXs(ours, { setupArgs: [0, true], iterations });
  const qos1 = await measureSteadyStateOnXs(ours, { setupArgs: [1, true], iterations });
  return [
    // Moddable's client has no delivery callback: ours is measured without a 'published' listener too.
    { name: 'XS: computrons per QoS 0 publish', ours: qos0.computronsPerStep, reference: reference.computronsPerStep, unit: '', better: 'lower', goal: '≥ 1× (cost ≤ Moddable\'s), aim ≥ 2×' },
    { name: 'XS: the same, with a \'published\' listener', ours: qos0Listening.computronsPerStep, reference: reference.computronsPerStep, unit: '', better: 'lower' },
    { name: 'XS: heap bytes per QoS 0 publish', ours: qos0.bytesPerStep, reference: reference.bytesPerStep, unit: 'B', better: 'lower', goal: '0 (ours)' },
    { name: 'XS: computrons per QoS 1 publish + PUBACK', ours: qos1.computronsPerStep, reference: undefined, unit: '', better: 'lower', goal: '≤ 1,000' },
    { name: 'XS: heap bytes per QoS 1 publish + PUBACK', ours: qos1.bytesPerStep, reference: undefined, unit: 'B', better: 'lower', goal: '0' },
  ];
}

export async function benchMqtt(): Promise<Row[]> {
  const codec = await codecRows();
  printTable('MQTT codec (reference: mqtt-packet 9)', codec);
  const endToEnd = await endToEndRows();
  printTable('MQTT end to end on loopback (reference: MQTT.js 5, same broker, same run)', endToEnd);
  const xs = await xsRows();
  printTable('MQTT publish on the XS engine, same binary (reference: the Moddable SDK\'s mqtt.js; payload reused, socket drops the bytes)', xs);
  return [...codec, ...endToEnd, ...xs];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchMqtt();
}
