// SUBSCRIBE and UNSUBSCRIBE bookkeeping for the session: what the application wants subscribed (to
// restore it when the broker lost the session), the requests the broker has not acknowledged yet
// (sent again after a reconnect), and their packet ids, which live above the publish window's so an
// acknowledgement can never be mistaken for the other kind. It writes nothing; the session does.
import { UsageError } from './errors';
import type { QoS, Subscription } from './packets';
import { topicFilterProblem } from './topic';

export interface SubscriptionRequest {
  /** The application's token (0 for the session's own request restoring subscriptions). */
  token: number;
  kind: 'subscribe' | 'unsubscribe';
  subscriptions: Subscription[];
  filters: string[];
}

export class Subscriptions {
  readonly #firstId: number;
  #nextId: number;
  /** Sent and awaiting SUBACK/UNSUBACK, by packet id. */
  readonly #pending = new Map<number, SubscriptionRequest>();
  /** Made while offline, or sent on a connection that was lost before the answer. */
  #unsent: SubscriptionRequest[] = [];
  /** What the application asked to be subscribed to, and at which QoS. */
  readonly #desired = new Map<string, QoS>();

  /** Packet ids from `firstId` to 65535 (the ids below belong to the publish window). */
  constructor(firstId: number) {
    this.#firstId = firstId;
    this.#nextId = firstId;
  }

  /**
   * Requests sent and awaiting their acknowledgement (#pending.size, kept as a field: the session
   * reads it on every answer from the broker, and a getter is a call on XS). Read it, never write it.
   */
  pendingCount = 0;
  get unsentCount(): number {
    return this.#unsent.length;
  }

  /** A SUBSCRIBE the application asked for; throws a UsageError naming what cannot be subscribed to. */
  subscribe(token: number, subscriptions: Subscription[]): SubscriptionRequest {
    if (subscriptions.length === 0) throw new UsageError('EMPTY_SUBSCRIBE', 'subscribe needs at least one topic filter');
    for (const { filter, qos } of subscriptions) {
      const problem = topicFilterProblem(filter);
      if (problem) throw new UsageError('INVALID_TOPIC_FILTER', `cannot subscribe to ${JSON.stringify(filter)}: ${problem}`);
      if (qos !== 0 && qos !== 1 && qos !== 2) throw new UsageError('INVALID_QOS', `QoS ${qos} is not 0, 1 or 2`);
    }
    for (const { filter, qos } of subscriptions) this.#desired.set(filter, qos);
    return { token, kind: 'subscribe', subscriptions: subscriptions.slice(), filters: [] };
  }

  /** An UNSUBSCRIBE the application asked for; throws a UsageError for a bad filter. */
  unsubscribe(token: number, filters: string[]): SubscriptionRequest {
    if (filters.length === 0) throw new UsageError('EMPTY_UNSUBSCRIBE', 'unsubscribe needs at least one topic filter');
    for (const filter of filters) {
      const problem = topicFilterProblem(filter);
      if (problem) throw new UsageError('INVALID_TOPIC_FILTER', `cannot unsubscribe from ${JSON.stringify(filter)}: ${problem}`);
    }
    for (const filter of filters) this.#desired.delete(filter);
    return { token, kind: 'unsubscribe', subscriptions: [], filters: filters.slice() };
  }

  /** Keeps a request for the next connection. */
  hold(request: SubscriptionRequest): void {
    this.#unsent.push(request);
  }

  /** Gives a request a free packet id; it now awaits its acknowledgement. */
  send(request: SubscriptionRequest): number {
    let packetId = this.#nextId;
    while (this.#pending.has(packetId)) packetId = packetId >= 65535 ? this.#firstId : packetId + 1;
    this.#nextId = packetId >= 65535 ? this.#firstId : packetId + 1;
    this.#pending.set(packetId, request);
    this.pendingCount = this.#pending.size;
    return packetId;
  }

  /** The broker acknowledged `packetId` (SUBACK when `isSubscribe`): the request, or undefined when none awaits that. */
  acknowledged(packetId: number, isSubscribe: boolean): SubscriptionRequest | undefined {
    const request = this.#pending.get(packetId);
    if (!request || (request.kind === 'subscribe') !== isSubscribe) return undefined;
    this.#pending.delete(packetId);
    this.pendingCount = this.#pending.size;
    return request;
  }

  /** The connection was lost: what awaited an answer goes again on the next one, first. */
  lost(): void {
    if (this.#pending.size === 0) return;
    this.#unsent = [...this.#pending.values(), ...this.#unsent];
    this.#pending.clear();
    this.pendingCount = 0;
  }

  /**
   * After CONNACK: the requests to send now. When the broker lost the session, a request restoring
   * every desired subscription not already among them comes first.
   */
  toSend(sessionPresent: boolean): SubscriptionRequest[] {
    const requests = this.#unsent;
    this.#unsent = [];
    if (sessionPresent || this.#desired.size === 0) return requests;
    const requested = new Set<string>();
    for (const request of requests) for (const s of request.subscriptions) requested.add(s.filter);
    const restore: Subscription[] = [];
    for (const [filter, qos] of this.#desired) if (!requested.has(filter)) restore.push({ filter, qos });
    return restore.length > 0 ? [{ token: 0, kind: 'subscribe', subscriptions: restore, filters: [] }, ...requests] : requests;
  }
}
