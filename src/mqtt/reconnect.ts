// When to try again after a connection is lost, and what a pattern of lost connections means. One
// place for the reconnect policy; the session asks it at each loss and each CONNACK.
//
// - The delay doubles from minDelayMs with each failed attempt, up to maxDelayMs, less a random
//   fraction (jitter) so that a fleet does not come back in step.
// - A connection counts as a success only once it has stayed up stableAfterMs (default twice the
//   keepalive, at least a minute); one lost sooner is one more failed attempt. Two clients that
//   share an id and keep taking the session from each other therefore back off, instead of kicking
//   each other off every second.
// - Connections the other side closed soon after CONNACK, each followed by a reconnect accepted at
//   once, twice or more in a row: that is what another client with our id looks like from here
//   (MQTT 3.1.1 gives no reason), and the session reports it.
import type { ReconnectOptions } from './session-types';

export class ReconnectPolicy {
  readonly #minDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #jitter: number;
  readonly #stableAfterMs: number;
  readonly #random: () => number;
  #attempt = 0;
  #connectedAtMs = -Infinity;
  #connected = false;
  /** Connections in a row the other side closed soon after CONNACK, each followed by an accepted reconnect. */
  #shortLivedClosures = 0;

  constructor(options: ReconnectOptions = {}, keepaliveMs: number, random: () => number) {
    this.#minDelayMs = options.minDelayMs ?? 500;
    this.#maxDelayMs = options.maxDelayMs ?? 30_000;
    this.#jitter = options.jitter ?? 0.5;
    this.#stableAfterMs = options.stableAfterMs ?? Math.max(60_000, 2 * keepaliveMs);
    this.#random = random;
  }

  /**
   * CONNACK accepted. Returns how many connections in a row the other side closed soon after
   * accepting them (the session reports 2 or more as a session taken over), else 0.
   */
  connected(now: number): number {
    this.#connected = true;
    this.#connectedAtMs = now;
    return this.#shortLivedClosures >= 2 ? this.#shortLivedClosures : 0;
  }

  /**
   * The connection (or the attempt) ended: `byPeer` when the transport reported it, not when we
   * closed it over a protocol failure or a timeout. Returns the delay before the next attempt.
   */
  lost(now: number, byPeer: boolean): number {
    const lived = this.#connected ? now - this.#connectedAtMs : -1;
    this.#connected = false;
    if (lived >= this.#stableAfterMs) this.#attempt = 0; // only a stable connection earns a fresh start
    this.#shortLivedClosures = byPeer && lived >= 0 && lived < this.#stableAfterMs ? this.#shortLivedClosures + 1 : 0;
    const delay = Math.min(this.#maxDelayMs, this.#minDelayMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    return Math.round(delay * (1 - this.#jitter * this.#random()));
  }

  /** The session ended on purpose (end()): the next start begins afresh. */
  reset(): void {
    this.#attempt = 0;
    this.#connected = false;
    this.#shortLivedClosures = 0;
  }
}
