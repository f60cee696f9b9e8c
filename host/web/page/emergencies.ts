// The emergencies the node reports on <id>/emergency: which are active now. One retained message
// holds only the latest change, so the page keeps the set itself: a raise adds its kind, a clear
// removes it, and the node re-publishes any still-active one after a clear (DESIGN.md §3).
export interface Emergency {
  kind: string;
  active: boolean;
  seq: number | null;
  /** Node time, ms since the epoch. */
  ts: number | null;
  alt: number | null;
  vs: number | null;
  msg: string;
}

export function parseEmergency(text: string): { emergency: Emergency } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: `emergency message is not JSON: ${text.slice(0, 80)}` };
  }
  const e = value as Record<string, unknown>;
  if (typeof e !== 'object' || e === null || typeof e.active !== 'boolean' || typeof e.kind !== 'string') {
    return { error: `emergency message without "active" and "kind": ${text.slice(0, 80)}` };
  }
  const numberOrNull = (v: unknown) => (typeof v === 'number' ? v : null);
  return {
    emergency: { kind: e.kind, active: e.active, seq: numberOrNull(e.seq), ts: numberOrNull(e.ts), alt: numberOrNull(e.alt), vs: numberOrNull(e.vs), msg: typeof e.msg === 'string' ? e.msg : '' },
  };
}

export class EmergencyBoard {
  /** Active emergencies by kind, oldest first. */
  readonly active = new Map<string, Emergency>();

  /** Applies a message; returns what changed: 'raised', 'cleared', or 'same' (a repeat, e.g. retained). */
  apply(emergency: Emergency): 'raised' | 'cleared' | 'same' {
    const known = this.active.get(emergency.kind);
    if (emergency.active) {
      if (known) return 'same'; // re-asserted (retained, or after another kind cleared): keep when it began
      this.active.set(emergency.kind, emergency);
      return 'raised';
    }
    if (!known) return 'same';
    // A clear older than the raise we hold (a backlog after a reconnect) does not end it.
    if (known.seq !== null && emergency.seq !== null && emergency.seq < known.seq && known.ts !== null && emergency.ts !== null && emergency.ts < known.ts) return 'same';
    this.active.delete(emergency.kind);
    return 'cleared';
  }

  clear(): void {
    this.active.clear();
  }
}
