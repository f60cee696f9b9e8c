// The access policy as data: what each party may publish and receive, decided as Mosquitto's
// acl_file decides it, and the filter overlap that decides a SUBACK on the embedded broker.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { filtersOverlap, mayPublish, mayReceive, maySubscribe, rulesFor, type Principal } from '../../host/broker/policy';
import { topicMatches } from '../../src/mqtt/topic';

const fleet = ['sensor1', 'sensor2'];
const party = (username: string): Principal => (fleet.includes(username) ? { username, role: 'device', deviceId: username } : { username, role: username as Principal['role'] });
const rules = (username: string) => rulesFor(party(username), fleet);

describe('the access policy', () => {
  const topics = [
    'sensor1/altitude', 'sensor1/telemetry', 'sensor1/emergency', 'sensor1/status', 'sensor1/info', 'sensor1/reply', 'sensor1/ota',
    'sensor1/cmd/reboot', 'sensor1/cmd', 'sensor2/emergency', 'sensor2/cmd/ping', 'homeassistant/sensor/sensor1/altitude/config',
    'homeassistant/sensor/sensor2/altitude/config', 'sensor3/emergency', '$SYS/broker/uptime', 'sensor1/altitude/extra',
  ];
  const table = (decide: typeof mayReceive, username: string) => topics.filter((t) => decide(rules(username), t));

  it('lets each party receive exactly its share', () => {
    expect(table(mayReceive, 'crew')).toEqual(topics.filter((t) => /^sensor[12]\//.test(t)));
    expect(table(mayReceive, 'air-traffic-control')).toEqual(table(mayReceive, 'crew'));
    expect(table(mayReceive, 'maritime-patrol')).toEqual(table(mayReceive, 'crew'));
    expect(table(mayReceive, 'news-station')).toEqual(['sensor1/emergency', 'sensor2/emergency']);
    expect(table(mayReceive, 'sensor1')).toEqual(['sensor1/cmd/reboot', 'sensor1/cmd']);
  });

  it('lets only the crew command, and each device publish its own topics only', () => {
    expect(table(mayPublish, 'crew')).toEqual(['sensor1/cmd/reboot', 'sensor1/cmd', 'sensor2/cmd/ping']);
    for (const ground of ['air-traffic-control', 'maritime-patrol', 'news-station']) expect(table(mayPublish, ground)).toEqual([]);
    expect(table(mayPublish, 'sensor1')).toEqual([
      'sensor1/altitude', 'sensor1/telemetry', 'sensor1/emergency', 'sensor1/status', 'sensor1/info', 'sensor1/reply', 'sensor1/ota', 'homeassistant/sensor/sensor1/altitude/config',
    ]);
  });

  it('grants a subscription only where something readable can match (the embedded broker\'s SUBACK)', () => {
    const news = rules('news-station');
    expect(['#', '+/emergency', 'sensor1/#', 'sensor1/+', 'sensor1/emergency'].map((f) => maySubscribe(news, f))).toEqual([true, true, true, true, true]);
    expect(['sensor1/altitude', 'sensor1/telemetry', '+/telemetry', 'sensor1/cmd/#', '$SYS/#', 'sensor1/emergency/x'].map((f) => maySubscribe(news, f))).toEqual([false, false, false, false, false, false]);
  });
});

describe('filtersOverlap', () => {
  it.each([
    ['#', 'a/b', true], ['a/#', 'a', true], ['a', 'a/#', true], ['a/+', 'a', false], ['+/b', 'a/+', true], ['a/b', 'a/c', false],
    ['a/+/c', 'a/b/#', true], ['a/b/c', 'a/b', false], ['#', '$SYS/x', false], ['+/x', '$SYS/x', false], ['$SYS/#', '$SYS/x', true],
  ] as const)('%s and %s: %s', (a, b, expected) => {
    expect(filtersOverlap(a, b)).toBe(expected);
    expect(filtersOverlap(b, a)).toBe(expected);
  });

  it('never misses an overlap: any topic both filters match proves one', () => {
    const level = fc.constantFrom('a', 'b', 'c', '$s');
    const topic = fc.array(level, { minLength: 1, maxLength: 4 }).map((l) => l.join('/'));
    const filterOf = (t: string) =>
      fc.array(fc.constantFrom('keep', '+', '#'), { minLength: t.split('/').length, maxLength: t.split('/').length }).map((how) => {
        const levels = t.split('/');
        const out: string[] = [];
        for (let i = 0; i < levels.length; i++) {
          if (how[i] === '#') return [...out, '#'].join('/');
          out.push(how[i] === '+' ? '+' : levels[i]);
        }
        return out.join('/');
      });
    fc.assert(
      fc.property(topic.chain((t) => fc.tuple(fc.constant(t), filterOf(t), filterOf(t))), ([t, a, b]) => {
        if (topicMatches(a, t) && topicMatches(b, t)) expect(filtersOverlap(a, b)).toBe(true);
      }),
    );
  });
});
