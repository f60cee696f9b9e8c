// The MQTT client driver over a socket port: its own buffering is bounded.
import { describe, expect, it } from 'vitest';
import { MqttClient } from '../../src/mqtt/client';
import { ScriptedBroker } from '../fakes/scripted-broker';
import { VirtualClock } from '../fakes/virtual-clock';

describe('MQTT client driver', () => {
  it('bounds what waits for a stalled link: past maxPendingWriteBytes it reconnects, and the QoS 1 messages still all arrive', () => {
    const clock = new VirtualClock(0);
    const broker = new ScriptedBroker(clock);
    broker.writableBytes = 600;
    const client = new MqttClient(
      { host: 'broker', port: 1883, clientId: 'stall', cleanSession: false, maxInflight: 8, maxPendingWriteBytes: 2048, reconnect: { minDelayMs: 100, maxDelayMs: 100 } },
      { socket: broker.factory, clock },
    );
    const errors: string[] = [];
    client.on('disconnect', (error) => errors.push(error?.message ?? ''));
    client.connect();
    clock.advance(10);
    expect(client.connected).toBe(true);
    broker.stalled = true;
    // A window of QoS 1 messages, then live QoS 0 values one a second while nothing drains.
    for (let i = 0; i < 8; i++) client.publish('sensor1/telemetry', `{"seq":${i},"pad":"${'x'.repeat(60)}"}`, 1);
    for (let i = 0; i < 30 && errors.length === 0; i++) {
      client.publish('sensor1/altitude', `${1000 + i}.${'0'.repeat(60)}`, 0);
      clock.advance(1000);
    }
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^connection to broker:1883 stalled: 2\d{3} bytes waited to be sent, more than the 2048 allowed$/);
    broker.stalled = false;
    clock.advance(1000);
    expect(client.connected).toBe(true);
    const seqs = broker.published.filter((p) => p.topic === 'sensor1/telemetry').map((p) => JSON.parse(p.payload).seq);
    expect([...new Set(seqs)].sort((a, b) => a - b)).toEqual(Array.from({ length: 8 }, (_, i) => i));
  });
});
