// Topic names, topic filters and matching (MQTT 3.1.1 §4.7). Matching walks both strings in place:
// no split, no allocation, so a node can route every incoming message cheaply.
import { UsageError } from './errors';
import { encodeTopicField } from './encode';
import { utf8Length } from './utf8';

const MAX_STRING_BYTES = 65535;

/** Why `topic` cannot be a PUBLISH topic name, or undefined when it can. */
export function topicNameProblem(topic: string): string | undefined {
  if (topic.length === 0) return 'a topic name must be at least one character long [MQTT-4.7.3-1]';
  const bytes = utf8Length(topic);
  if (bytes < 0) return 'a topic name must be valid UTF-8 (it holds a lone surrogate) [MQTT-1.5.3-1]';
  if (bytes > MAX_STRING_BYTES) return `a topic name is at most 65535 bytes; this one is ${bytes} [MQTT-4.7.3-3]`;
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i);
    if (c === 0x2b || c === 0x23) return 'a topic name must not contain the wildcards + or # [MQTT-3.3.2-2]';
    if (c === 0) return 'a topic name must not contain U+0000 [MQTT-4.7.3-2]';
  }
  return undefined;
}

/** Why `filter` cannot be a SUBSCRIBE topic filter, or undefined when it can. */
export function topicFilterProblem(filter: string): string | undefined {
  if (filter.length === 0) return 'a topic filter must be at least one character long [MQTT-4.7.3-1]';
  const bytes = utf8Length(filter);
  if (bytes < 0) return 'a topic filter must be valid UTF-8 (it holds a lone surrogate) [MQTT-1.5.3-1]';
  if (bytes > MAX_STRING_BYTES) return `a topic filter is at most 65535 bytes; this one is ${bytes} [MQTT-4.7.3-3]`;
  for (let i = 0; i < filter.length; i++) {
    const c = filter.charCodeAt(i);
    if (c === 0) return 'a topic filter must not contain U+0000 [MQTT-4.7.3-2]';
    const startsLevel = i === 0 || filter.charCodeAt(i - 1) === 0x2f;
    const endsLevel = i === filter.length - 1 || filter.charCodeAt(i + 1) === 0x2f;
    if (c === 0x23 && !(startsLevel && i === filter.length - 1)) {
      return '# must be the last character of a topic filter and stand alone in its level [MQTT-4.7.1-2]';
    }
    if (c === 0x2b && !(startsLevel && endsLevel)) return '+ must occupy a whole level of a topic filter [MQTT-4.7.1-3]';
  }
  return undefined;
}

export function assertTopicName(topic: string): void {
  const problem = topicNameProblem(topic);
  if (problem) throw new UsageError('INVALID_TOPIC', `invalid topic ${JSON.stringify(topic)}: ${problem}`);
}

export function assertTopicFilter(filter: string): void {
  const problem = topicFilterProblem(filter);
  if (problem) throw new UsageError('INVALID_TOPIC_FILTER', `invalid topic filter ${JSON.stringify(filter)}: ${problem}`);
}

/**
 * Does `topic` match `filter`? Both must be valid. A filter that starts with a wildcard does not match
 * a topic that starts with `$` [MQTT-4.7.2-1]; `sport/#` also matches `sport` [§4.7.1.2].
 */
export function topicMatches(filter: string, topic: string): boolean {
  const firstFilter = filter.charCodeAt(0);
  if (topic.charCodeAt(0) === 0x24 && (firstFilter === 0x2b || firstFilter === 0x23)) return false;
  let f = 0;
  let t = 0;
  while (f < filter.length) {
    const c = filter.charCodeAt(f);
    if (c === 0x23) return true; // '#' matches the rest, including the parent level
    if (c === 0x2b) {
      // '+' matches one whole level of the topic, possibly empty
      while (t < topic.length && topic.charCodeAt(t) !== 0x2f) t++;
      f++;
    } else {
      if (t >= topic.length || topic.charCodeAt(t) !== c) {
        // "a/#" matches "a": the topic ended exactly where the filter has "/#"
        return t === topic.length && c === 0x2f && filter.charCodeAt(f + 1) === 0x23 && f + 2 === filter.length;
      }
      f++;
      t++;
    }
  }
  return t === topic.length;
}

/**
 * Validated topic names, each encoded once as it goes in a PUBLISH (see encodeTopicField). A node
 * publishes to the same few topics again and again: with the cache, a repeat costs no validation,
 * no encoding and no allocation (on XS even reading a string's length allocates a wrapper, so
 * per-character work is worth avoiding).
 */
export class TopicCache {
  readonly capacity: number;
  /**
   * The cached wire fields by topic. A hot path reads it directly (`fields.get(topic) ??
   * field(topic)`): one native call, where a method around it would cost a call more on XS.
   */
  readonly fields: ReadonlyMap<string, Uint8Array>;
  readonly #entries = new Map<string, Uint8Array>();
  constructor(capacity = 32) {
    this.capacity = capacity;
    this.fields = this.#entries;
  }
  /** The topic's wire field (length, then UTF-8); throws a UsageError when it cannot be a PUBLISH topic. */
  field(topic: string): Uint8Array {
    const cached = this.#entries.get(topic);
    if (cached) return cached;
    const problem = topicNameProblem(topic);
    if (problem) throw new UsageError('INVALID_TOPIC', `cannot publish to ${JSON.stringify(topic)}: ${problem}`);
    const field = encodeTopicField(topic);
    if (this.#entries.size >= this.capacity) this.#entries.clear();
    this.#entries.set(topic, field);
    return field;
  }
}
