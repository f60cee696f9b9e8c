// Commands arrive on <id>/cmd/<name>; every one is answered on <id>/reply with
// {"cmd","id","ok":true,...} or {"cmd","id","ok":false,"error":"what was wrong"}. The payload is a
// JSON object (or empty); its "id", when present, is echoed so a sender can match the reply.

export const COMMAND_NAMES = ['config', 'zero', 'ota', 'reboot', 'ping'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

export interface Command {
  name: CommandName;
  id: string | number | null;
  /** The payload's fields (without "id"). */
  args: Record<string, unknown>;
}

export type ParsedCommand = { ok: true; command: Command } | { ok: false; name: string; id: string | number | null; error: string };

/** Parses a command message; never throws. */
export function parseCommand(name: string, payload: string): ParsedCommand {
  let body: unknown = {};
  if (payload.trim() !== '') {
    try {
      body = JSON.parse(payload);
    } catch (error) {
      return { ok: false, name, id: null, error: `the payload is not valid JSON (${(error as Error).message}); send a JSON object such as {"id":1}` };
    }
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, name, id: null, error: `the payload must be a JSON object, not ${JSON.stringify(body)}` };
  }
  const { id = null, ...args } = body as Record<string, unknown>;
  if (id !== null && typeof id !== 'string' && typeof id !== 'number') {
    return { ok: false, name, id: null, error: `"id" must be a string or a number, not ${JSON.stringify(id)}` };
  }
  if (!(COMMAND_NAMES as readonly string[]).includes(name)) {
    return { ok: false, name, id, error: `unknown command "${name}"; the commands are ${COMMAND_NAMES.join(', ')}` };
  }
  return { ok: true, command: { name: name as CommandName, id, args } };
}

export function replyPayload(name: string, id: string | number | null, result: { ok: true; [key: string]: unknown } | { ok: false; error: string }): string {
  return JSON.stringify({ cmd: name, id, ...result });
}
