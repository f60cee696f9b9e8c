// What `npm start` shows: on a terminal, one screen redrawn in place (the flight, an altitude trace,
// what each party on the ground has received, the last events); piped, a line every 30 simulated
// seconds; with --json, one JSON line per message received, for scripts.
//
// The screen is cleared once; each frame then moves the cursor home and overwrites the lines in
// place, clearing only what is left of each line and below the last, so a frame never shows a
// blank screen (no flicker). The cursor is hidden while drawing and shown again whatever way the
// process ends: close(), process.exit(), or an uncaught exception (the 'exit' event runs for all).
import { writeSync } from 'node:fs';
import type { AltitudeReading } from '../src/sensor/altimeter';
import type { IncomingMessage } from '../src/mqtt/session';
import { mayReceive, partyRules } from './broker/policy';
import type { Subscriber } from './ground-station';

export type ViewMode = 'screen' | 'lines' | 'json';

const BARS = '▁▂▃▄▅▆▇█';
const CLEAR_SCREEN = '\x1b[2J';
const HOME = '\x1b[H';
const CLEAR_LINE_END = '\x1b[K';
const CLEAR_BELOW = '\x1b[J';
const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';
const TRACE_POINTS = 60;

const clockText = (ms: number) => {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};

export class LiveView {
  readonly mode: ViewMode;
  readonly #header: string;
  readonly #startMs: number;
  readonly #trace: number[] = [];
  #traceEveryMs: number;
  #lastTraceMs = -Infinity;
  #lastLineMs = -Infinity;
  #reading: AltitudeReading | undefined;
  #phase = '';
  #outbox = { size: 0, dropped: 0 };
  #broker = 'starting';
  #groundStation = '';
  readonly #events: string[] = [];
  readonly #breaches = new Set<string>();
  readonly #probes = new Map<Subscriber, string>();
  #subscribers: Subscriber[] = [];
  #timer: NodeJS.Timeout | undefined;
  #cursorHidden = false;
  readonly #showCursor = () => this.#restoreCursor();

  constructor(mode: ViewMode, header: string, startMs: number, traceEveryMs: number) {
    this.mode = mode;
    this.#header = header;
    this.#startMs = startMs;
    this.#traceEveryMs = traceEveryMs;
    if (mode === 'screen') {
      process.stdout.write(`${CLEAR_SCREEN}${HIDE_CURSOR}`);
      this.#cursorHidden = true;
      process.on('exit', this.#showCursor);
      this.#timer = setInterval(() => this.#draw(), 200);
    }
  }

  watch(subscribers: Subscriber[]): void {
    this.#subscribers = subscribers;
  }

  /** The web page's address, shown on the screen (which is redrawn over anything printed before). */
  groundStation(url: string): void {
    this.#groundStation = url;
  }

  broker(state: string): void {
    this.#broker = state;
    this.event(`broker ${state}`);
  }

  event(text: string): void {
    const at = this.#reading ? clockText(this.#reading.timestampMs - this.#startMs) : '--:--:--';
    this.#events.push(`${at}  ${text}`);
    if (this.#events.length > 6) this.#events.shift();
    if (this.mode === 'lines') process.stdout.write(`${at}  ${text}\n`);
  }

  reading(reading: AltitudeReading, phase: string, outbox: { size: number; dropped: number }): void {
    this.#reading = reading;
    this.#phase = phase;
    this.#outbox = outbox;
    if (reading.timestampMs - this.#lastTraceMs >= this.#traceEveryMs) {
      this.#lastTraceMs = reading.timestampMs;
      this.#trace.push(reading.altitudeM);
      if (this.#trace.length > TRACE_POINTS) this.#trace.shift();
    }
    if (this.mode === 'lines' && reading.timestampMs - this.#lastLineMs >= 30_000) {
      this.#lastLineMs = reading.timestampMs;
      process.stdout.write(`${this.#statusLine()}  outbox ${outbox.size}\n`);
    }
  }

  message(subscriber: Subscriber, message: IncomingMessage): void {
    const text = new TextDecoder().decode(message.payload);
    if (this.mode === 'json') {
      let payload: unknown = text;
      try {
        payload = JSON.parse(text);
      } catch {
        // a plain payload (altitude, status): keep the text
      }
      process.stdout.write(`${JSON.stringify({ subscriber: subscriber.name, topic: message.topic, retain: message.retain, payload })}\n`);
      return;
    }
    const deviceId = message.topic.slice(0, message.topic.indexOf('/'));
    if (!mayReceive(partyRules(subscriber.role, deviceId), message.topic)) {
      // Only an open broker (no access policy) lets this happen: say so loudly, once per topic.
      if (!this.#breaches.has(message.topic)) this.event(`PRIVACY BREACH: the ${subscriber.name} received ${message.topic}; this broker does not enforce the access policy`);
      this.#breaches.add(message.topic);
    } else if (message.topic.endsWith('/emergency') && subscriber.role === 'news-station') {
      const e = JSON.parse(text) as { kind: string; active: boolean; msg: string };
      this.event(`${e.active ? 'EMERGENCY' : 'cleared'} ${e.kind}: ${e.msg} (news station notified)`);
    } else if (message.topic.endsWith('/reply') && subscriber.role === 'crew') {
      this.event(`reply to the crew: ${text}`);
    }
  }

  /** The broker's answer to the news station's try at a topic it may not read. */
  probe(subscriber: Subscriber, filter: string, granted: boolean): void {
    this.#probes.set(subscriber, `${filter}: ${granted ? 'granted, filtered' : 'REFUSED'}`);
    if (this.mode === 'json') return;
    this.event(
      granted
        ? `${subscriber.name} subscribed to ${filter}: the broker grants any subscription and filters each message (Mosquitto does); nothing of it may arrive`
        : `${subscriber.name} tried ${filter}: refused by the broker (it may read emergencies only)`,
    );
  }

  #statusLine(): string {
    const r = this.#reading;
    if (!r) return 'waiting for the first reading';
    const time = clockText(r.timestampMs - this.#startMs);
    if (r.quality === 'fault') return `${time}  ${this.#phase.padEnd(16)} SENSOR FAULT ${r.fault}`;
    const vs = `${r.verticalSpeedMps >= 0 ? '+' : ''}${r.verticalSpeedMps.toFixed(2)}`;
    return `${time}  ${this.#phase.padEnd(16)} altitude ${r.altitudeM.toFixed(1).padStart(7)} m  vs ${vs.padStart(6)} m/s  ${r.quality}`;
  }

  #sparkline(): string {
    if (this.#trace.length === 0) return '';
    const top = Math.max(10, ...this.#trace.filter((x) => x === x));
    return this.#trace.map((x) => (x === x ? BARS[Math.min(7, Math.max(0, Math.round((x / top) * 7)))] : '·')).join('') + `  (0–${top.toFixed(0)} m)`;
  }

  #draw(): void {
    const lines = [
      this.#header,
      `ground station: ${this.#groundStation}`,
      `broker: ${this.#broker}   outbox: ${this.#outbox.size} waiting, ${this.#outbox.dropped} dropped`,
      '',
      this.#statusLine(),
      `altitude trace ${this.#sparkline()}`,
      '',
      ...this.#subscribers.map((s) => {
        const last = s.last ? `${s.last.topic}: ${new TextDecoder().decode(s.last.payload).slice(0, 70)}` : '';
        const probe = this.#probes.get(s);
        return `${s.name.padEnd(20)} ${String(s.count).padStart(6)} msgs   ${probe ? `[tried ${probe}]  ` : ''}${last}`;
      }),
      '',
      'events:',
      ...this.#events.map((e) => `  ${e}`),
      '',
      'Ctrl-C stops the node (it publishes "offline"), the ground station and the broker.',
    ];
    const width = process.stdout.columns || 120;
    process.stdout.write(`${HOME}${lines.map((l) => `${l.slice(0, width)}${CLEAR_LINE_END}`).join('\n')}\n${CLEAR_BELOW}`);
  }

  /** Synchronous, so it still reaches the terminal from an 'exit' handler. */
  #restoreCursor(): void {
    if (!this.#cursorHidden) return;
    this.#cursorHidden = false;
    process.off('exit', this.#showCursor);
    writeSync(process.stdout.fd, SHOW_CURSOR);
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    if (this.mode === 'screen') {
      this.#draw();
      this.#restoreCursor();
    }
  }
}
