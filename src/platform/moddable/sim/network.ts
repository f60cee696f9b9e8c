// The network port in the desktop simulator: the computer's own network, which the simulator's pane
// can cut ({"network":{"up":false}}) to exercise the outbox. A cut does what a lost Wi-Fi link does
// on the device: every open connection fails, and new ones fail until the link is back; then the
// node reconnects at once (NetworkLink.onChange) and the outbox drains.
//
// With no broker where the build config points, the first refused connection says how to get one.
import Timer from "timer";
import type { NetworkLink, StreamSocketFactory } from "ports";
import type { BoardConfig } from "platform/moddable/board-config";
import { fieldsOf, onPanel } from "./panel-link";

const CUT = "network down: cut from the simulator pane";

let up = true;
const listeners: ((up: boolean, reason: string) => void)[] = [];
/** Fails each open connection (what a cut does to it). */
const openConnections = new Set<() => void>();
let hinted = false;
/** The last connection attempt was refused or timed out before it opened (no broker there). */
let unreachable = false;

function setUp(value: boolean): void {
  if (value === up) return;
  up = value;
  if (!up) for (const cut of [...openConnections]) cut();
  for (const listener of listeners) listener(up, up ? "restored from the simulator pane" : "cut from the simulator pane");
}

onPanel("network", (value) => {
  const fields = fieldsOf(value, "network", ["up"]);
  if (typeof fields === "string") return fields;
  if (typeof fields.up !== "boolean") return `network.up must be true or false, not ${JSON.stringify(fields.up)}`;
  setUp(fields.up);
  return undefined;
});

/** True while no broker has answered at the configured address (the status display says so). */
export function brokerUnreachable(): boolean {
  return unreachable;
}

export function createNetworkLink(_config: BoardConfig): NetworkLink {
  return {
    get up() {
      return up;
    },
    onChange(listener) {
      listeners.push(listener);
    },
    start() {},
  };
}

/** Sockets that fail while the pane has cut the network. */
export function wrapSockets(factory: StreamSocketFactory): StreamSocketFactory {
  return (options) => {
    if (!up) {
      const failing = Timer.set(() => options.onError(CUT), 0);
      return { read: () => undefined, write() {}, close: () => Timer.clear(failing) };
    }
    let opened = false;
    let dead = false;
    const cut = () => {
      dead = true;
      openConnections.delete(cut);
      socket.close();
      options.onError(CUT);
    };
    const socket = factory({
      ...options,
      onWritable(count) {
        if (dead) return;
        if (!opened) unreachable = false;
        opened = true;
        options.onWritable(count);
      },
      onReadable(count) {
        if (!dead) options.onReadable(count);
      },
      onError(message) {
        if (dead) return;
        dead = true;
        openConnections.delete(cut);
        if (!opened) {
          unreachable = true;
          if (!hinted) {
            hinted = true;
            trace(
              `no MQTT broker answers at ${options.host}:${options.port}. \`npm run sim\` (npm start -- --device sim) runs this ` +
                `firmware with a broker of its own; or start one there (mosquitto -p ${options.port}) and the node connects by itself.\n`,
            );
          }
        }
        options.onError(message);
      },
    });
    openConnections.add(cut);
    return {
      read: () => socket.read(),
      write: (bytes, byteLength) => socket.write(bytes, byteLength),
      close() {
        dead = true;
        openConnections.delete(cut);
        socket.close();
      },
    };
  };
}
