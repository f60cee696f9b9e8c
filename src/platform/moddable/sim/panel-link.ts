// The app's end of the desktop simulator's message channel: the side pane of the simulated device
// (boards/sim/simulator/balloon.js, which lists every message) posts JSON objects that arrive here
// in `screen.onMessage`; `postToPanel` sends JSON the other way with `screen.postMessage`. Each
// board module listens to the key it owns ("flight", "sensor", "network"). A message nobody can use
// is refused with a reason, traced and shown on the pane; it changes nothing.

/** mcsim's global `screen` (build/simulators/modules/screen.c); typed here, the typings only give its pixels. */
declare const screen: unknown;

/** What mcsim's `screen` offers besides pixels. */
interface SimulatorScreen {
  onMessage?: (message: string | ArrayBuffer) => void;
  postMessage?: (message: string) => void;
}

/** Handles the value under its key; returns why it was refused, or undefined when it was applied. */
export type PanelHandler = (value: unknown) => string | undefined;

const handlers: Record<string, PanelHandler> = {};
let installed = false;

function simulatorScreen(): SimulatorScreen | undefined {
  return typeof screen === "object" && screen ? (screen as unknown as SimulatorScreen) : undefined;
}

function refuse(reason: string): void {
  trace(`panel: refused: ${reason}\n`);
  postToPanel({ refused: reason });
}

function receive(message: string | ArrayBuffer): void {
  if (typeof message !== "string") return refuse("a binary message (the pane sends JSON text)");
  let json: unknown;
  try {
    json = JSON.parse(message);
  } catch {
    return refuse(`not JSON: ${message.slice(0, 80)}`);
  }
  if (!json || typeof json !== "object" || Array.isArray(json)) return refuse(`not a JSON object: ${message.slice(0, 80)}`);
  // One key a message, so a message is applied whole or not at all.
  const keys = Object.keys(json);
  if (keys.length !== 1) return refuse(`a message has one key (flight, sensor or network), not ${keys.length}: ${message.slice(0, 80)}`);
  const handler = handlers[keys[0]];
  const problem = handler ? handler((json as Record<string, unknown>)[keys[0]]) : `unknown key "${keys[0]}" (known: ${Object.keys(handlers).join(", ")})`;
  if (problem) return refuse(problem);
  trace(`panel: ${message}\n`);
}

/** Listens for the pane's messages under `key`. */
export function onPanel(key: string, handler: PanelHandler): void {
  handlers[key] = handler;
  const host = simulatorScreen();
  if (!installed && host) {
    installed = true;
    host.onMessage = receive;
  }
}

export function postToPanel(message: object): void {
  simulatorScreen()?.postMessage?.(JSON.stringify(message));
}

/** The value as an object whose keys are all in `known`, or a reason it is not. */
export function fieldsOf(value: unknown, what: string, known: readonly string[]): Record<string, unknown> | string {
  if (!value || typeof value !== "object" || Array.isArray(value)) return `${what} must be an object, not ${JSON.stringify(value)}`;
  for (const key of Object.keys(value)) if (!known.includes(key)) return `${what}: unknown setting "${key}" (known: ${known.join(", ")})`;
  return value as Record<string, unknown>;
}
