import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { topicFilterProblem, topicMatches, topicNameProblem } from '../../src/mqtt/topic';
import { topicFilter, topicName } from '../fakes/mqtt-arbitraries';

/** Reference matcher written the obvious way (split into levels), to check the in-place one. */
function referenceMatch(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

describe('topic filters and matching (§4.7)', () => {
  it.each([
    ['sport/tennis/player1/#', 'sport/tennis/player1', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/score/wimbledon', true],
    ['sport/#', 'sport', true],
    ['#', 'sensor1/altitude', true],
    ['sport/tennis/+', 'sport/tennis/player1', true],
    ['sport/tennis/+', 'sport/tennis/player1/ranking', false],
    ['sport/+', 'sport', false],
    ['sport/+', 'sport/', true],
    ['+/+', '/finance', true],
    ['/+', '/finance', true],
    ['+', '/finance', false],
    ['#', '$SYS/broker/uptime', false],
    ['+/broker/uptime', '$SYS/broker/uptime', false],
    ['$SYS/#', '$SYS/broker/uptime', true],
    ['sensor1/cmd/+', 'sensor1/cmd/zero', true],
    ['sensor1/emergency', 'sensor1/emergency', true],
    ['sensor1/emergency', 'sensor1/emergency/x', false],
  ])('%s matches %s: %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });

  it('agrees with a level-splitting reference matcher on generated filters and topics', () => {
    fc.assert(fc.property(topicFilter, topicName, (filter, topic) => topicMatches(filter, topic) === referenceMatch(filter, topic)), {
      numRuns: 5000,
    });
  });

  it.each([['sport/tennis#'], ['sport/#/ranking'], ['sport+'], ['a/b+/c'], ['']])('rejects the filter %j', (filter) => {
    expect(topicFilterProblem(filter)).toMatch(/MQTT-4\.7/);
  });

  it.each([['a/+'], ['a/#'], [''], ['a\u0000b']])('rejects the topic name %j', (topic) => {
    expect(topicNameProblem(topic)).toMatch(/MQTT-/);
  });
});
