// The shapes the session takes and returns: its options, its events and the output object it refills
// on every call. Kept apart from session.ts so that file holds only the state machine.
import type { QoS, Will } from './packets';

export interface ReconnectOptions {
  /** First retry delay; it doubles on each failed attempt up to maxDelayMs. */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Fraction of each delay taken off at random (0 to 1), so a fleet does not reconnect in step. */
  jitter?: number;
  /**
   * How long a connection must stay up before the delay starts again from minDelayMs. Until then a
   * lost connection counts as one more failed attempt, so two clients that keep taking each other's
   * session back off instead of kicking each other every second. Default: twice the keepalive, at
   * least 60 s.
   */
  stableAfterMs?: number;
}

export interface SessionOptions {
  clientId: string;
  /** false keeps the broker session (subscriptions, queued QoS 1/2 messages) across reconnects. */
  cleanSession?: boolean;
  keepaliveS?: number;
  username?: string;
  password?: Uint8Array;
  will?: Will;
  /**
   * Packet-id slots for QoS 1/2 publishes not yet completed (the window). A publish with every slot
   * taken is refused (WINDOW_FULL): the session queues nothing, the caller decides what waits.
   */
  maxInflight?: number;
  connectTimeoutMs?: number;
  /**
   * How long the broker may leave us waiting for an answer (PINGRESP, PUBACK, PUBREC, PUBCOMP,
   * SUBACK, UNSUBACK) before the link is declared dead, closed and reconnected. Default: half the
   * keepalive (none when the keepalive is 0). A dead link is found within ¾ keepalive + this.
   */
  responseTimeoutMs?: number;
  reconnect?: ReconnectOptions;
  /** Largest incoming packet accepted. */
  maxPacketBytes?: number;
  /** Source of randomness for jitter, in [0, 1). */
  random?: () => number;
}

export interface IncomingMessage {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  dup: boolean;
}

export type SessionEvent =
  | { type: 'connected'; sessionPresent: boolean }
  | { type: 'disconnected'; error?: Error }
  | { type: 'message'; message: IncomingMessage }
  | { type: 'subscribed'; token: number; granted: number[] }
  | { type: 'unsubscribed'; token: number }
  /** The broker keeps closing our connections soon after accepting them: another client probably uses our id. */
  | { type: 'takenOver'; closures: number }
  | { type: 'error'; error: Error };

/** What a session holds at a moment: bounded whatever the broker sends (see MqttSession.footprint). */
export interface SessionFootprint {
  /** QoS 1/2 publishes in their packet-id slots. */
  inflight: number;
  /** Incoming QoS 2 packet ids received and not yet released (at most 64). */
  incomingQos2: number;
  /** SUBSCRIBE/UNSUBSCRIBE sent and not yet acknowledged, and those waiting for a connection. */
  pendingRequests: number;
  unsentRequests: number;
  /** Bytes of a partly received packet (at most maxPacketBytes). */
  decoderBytes: number;
  /** Size of the reused output buffer. */
  txBufferBytes: number;
}

/** What the caller must do after a session call. Reused: read it before the next call. */
export class SessionOutput {
  /** Bytes to write, in order: tx[0, txLength). */
  tx = new Uint8Array(1024);
  txLength = 0;
  events: SessionEvent[] = [];
  /** Tokens of publishes that are done: QoS 0 written, QoS 1 PUBACKed, QoS 2 PUBCOMPed. */
  completed: Float64Array;
  completedCount = 0;
  openTransport = false;
  closeTransport = false;
  /** Call tick() at this time (ms); Infinity when nothing is pending. */
  wakeAtMs = Infinity;
  constructor(maxCompletions: number) {
    this.completed = new Float64Array(maxCompletions);
  }
}
