// The network port over Moddable's WiFi (ESP32 station mode): connects, notices a lost link and
// reconnects with backoff (1 s doubling to 30 s); the node reconnects MQTT as soon as the link is up.
import WiFi from "wifi";
import Timer from "timer";
import type { NetworkLink, StreamSocketFactory } from "ports";
import type { BoardConfig } from "platform/moddable/board-config";

export function createNetworkLink(config: BoardConfig): NetworkLink {
  const ssid = config.wifiSsid ?? "";
  const password = config.wifiPassword ?? "";
  const listeners: ((up: boolean, reason: string) => void)[] = [];
  let up = false;
  let delayMs = 1000;
  let retry: Timer | undefined;
  const notify = (state: boolean, reason: string) => {
    up = state;
    for (const listener of listeners) listener(state, reason);
  };
  const connect = () => {
    retry = undefined;
    WiFi.connect({ ssid, password });
  };
  return {
    get up() {
      return up;
    },
    onChange(listener) {
      listeners.push(listener);
    },
    start() {
      if (!ssid) {
        notify(false, "no Wi-Fi network configured (set wifiSsid in boards/esp32/manifest.json or on the mcconfig command line)");
        return;
      }
      new WiFi({ ssid, password }, (message: string) => {
        if (message === "gotIP") {
          delayMs = 1000;
          notify(true, `connected to ${ssid}`);
        } else if (message === "disconnect" || message === "lostIP") {
          if (up) notify(false, `lost ${ssid} (${message})`);
          retry ??= Timer.set(connect, delayMs);
          delayMs = Math.min(delayMs * 2, 30_000);
        }
      });
    },
  };
}

/** Sockets as they are: when the Wi-Fi link drops, lwIP fails the open connections by itself. */
export function wrapSockets(factory: StreamSocketFactory): StreamSocketFactory {
  return factory;
}
