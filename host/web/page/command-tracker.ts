// The crew's commands and their answers. Every command carries an id of our own; the node echoes it
// in its reply on <id>/reply, which is how a reply finds its command even when other crews' replies
// go by on the same topic. A command with no answer yet says so; it is not resent (a QoS 1 command
// waits at the broker if the node is away, and reaches it when it is back).
export interface Reply {
  cmd: string;
  id: string | number | null;
  ok: boolean;
  error?: string;
  [field: string]: unknown;
}

export interface SentCommand {
  id: string;
  name: string;
  payload: Record<string, unknown>;
  /** Browser time it was sent (ms). */
  sentAt: number;
  reply?: Reply;
  /** Browser time the reply came (ms). */
  repliedAt?: number;
}

export function parseReply(text: string): Reply | undefined {
  try {
    const value = JSON.parse(text) as Reply;
    return typeof value === 'object' && value !== null && typeof value.ok === 'boolean' && typeof value.cmd === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A reply in a line: what the node said, or why it refused. */
export function describeReply(reply: Reply): string {
  if (!reply.ok) return `refused: ${reply.error ?? 'no reason given'}`;
  const { cmd: _cmd, id: _id, ok: _ok, ...rest } = reply;
  const details = Object.entries(rest)
    .filter(([key]) => key !== 'config')
    .map(([key, value]) => `${key} ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
  return details.length > 0 ? `ok: ${details.join(', ')}` : 'ok';
}

export class CommandTracker {
  readonly sent: SentCommand[] = [];
  readonly #prefix: string;
  #count = 0;

  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  /** Records a command and returns it with its id (the caller publishes it). */
  create(name: string, args: Record<string, unknown>, now: number): SentCommand {
    const id = `${this.#prefix}-${++this.#count}`;
    const command: SentCommand = { id, name, payload: { id, ...args }, sentAt: now };
    this.sent.push(command);
    if (this.sent.length > 50) this.sent.shift();
    return command;
  }

  /** The command a reply answers, if it is one of ours and not answered yet. */
  match(reply: Reply, now: number): SentCommand | undefined {
    const command = this.sent.find((c) => c.id === reply.id && c.reply === undefined);
    if (!command) return undefined;
    command.reply = reply;
    command.repliedAt = now;
    return command;
  }
}
