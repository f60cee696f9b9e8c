// The device's date from SNTP (the SDK's sntp module: one UDP request, retried every 5 s up to five
// times per server). Servers come from the build config (sntpServers, comma-separated) and are tried
// in turn; when all fail, the round starts again a minute later. Once answered, the date is set for
// the firmware (clock.ts: payload timestamps) and for the system (Time.set: TLS needs it to check
// certificate dates), and refreshed every hour, against the drift of the device's crystal. Until the
// first answer, telemetry carries "ts":null and the uptime instead of a date.
import SNTP from "sntp";
import Time from "time";
import Timer from "timer";
import type { Log } from "ports";
import { setDate } from "platform/moddable/clock";

const RETRY_MS = 60_000;
const REFRESH_MS = 3_600_000;

export interface TimeSync {
  /** Starts asking, unless an exchange is under way or the date is fresh (call it when the network comes up). */
  sync(): void;
  readonly known: boolean;
}

export function startTimeSync(servers: string[], log: Log): TimeSync {
  let busy = false;
  let known = false;
  let next: Timer | undefined;
  const later = (ms: number) => {
    if (next) Timer.clear(next);
    next = Timer.set(() => {
      next = undefined;
      sync();
    }, ms);
  };
  const sync = () => {
    if (busy || servers.length === 0) return;
    busy = true;
    let index = 0;
    new SNTP({ host: servers[index] }, ((message: number, value?: number | string) => {
      if (message === SNTP.time) {
        const seconds = value as number;
        Time.set(seconds);
        setDate(seconds * 1000);
        if (!known) log(`time: ${new Date(seconds * 1000).toISOString()} from ${servers[index]}`);
        known = true;
        busy = false;
        later(REFRESH_MS);
      } else if (message === SNTP.error) {
        log(`time: ${servers[index]} did not answer (${value})`);
        if (++index < servers.length) return servers[index]; // the module tries the next server
        busy = false;
        later(RETRY_MS);
      }
      return undefined;
    }) as unknown as ConstructorParameters<typeof SNTP>[1]);
  };
  return {
    sync: () => {
      if (!known || !next) sync();
    },
    get known() {
      return known;
    },
  };
}
