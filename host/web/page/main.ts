// The ground station page: who is watching (party and login), then the flight for that party, live
// from the broker over our own MQTT client. Messages update the model at once (the emergency banner
// too); the readouts and the plot are drawn at most once per animation frame, from the model.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import uPlot from 'uplot';
import { FlightChart, type ChartView } from './chart';
import { CommandTracker, describeReply, parseReply, type SentCommand } from './command-tracker';
import { EmergencyBoard, parseEmergency } from './emergencies';
import { flightPhase, type FlightPhase } from './flight-phase';
import { FlightStore, parseTelemetry } from './flight-store';
import { clockTime, duration, signed } from './format';
import { GroundLink, type LinkState } from './link';
import type { PageConfig, PartyConfig } from './page-config';
import { partyView } from './party';
import { Alarm } from './sound';
import { claimClientId } from './client-id';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const MAX_EVENTS = 500;

interface Timing {
  kind: string;
  /** performance.now() when our client delivered the message, and when the first frame showing the banner began. */
  arrivalMs: number;
  shownMs: number;
  visible: boolean;
}

/** What the tests and the benchmark read from the page (window.groundStation). */
const hooks = {
  uPlot,
  store: new FlightStore(),
  chart: undefined as FlightChart | undefined,
  link: undefined as GroundLink | undefined,
  emergencyTimings: [] as Timing[],
  /** Milliseconds each drawn frame took (readouts and plot), newest last (capped). */
  frameMs: [] as number[],
  events: [] as string[],
};
(globalThis as unknown as { groundStation: typeof hooks }).groundStation = hooks;

function logEvent(text: string, kind: 'info' | 'alarm' = 'info'): void {
  const line = `${clockTime(Date.now())}  ${text}`;
  hooks.events.push(line);
  if (hooks.events.length > MAX_EVENTS) hooks.events.shift();
  const list = $('events');
  const item = document.createElement('li');
  item.textContent = line;
  item.dataset.kind = kind;
  list.prepend(item);
  while (list.childElementCount > MAX_EVENTS) list.lastElementChild!.remove();
}

async function main(): Promise<void> {
  let config: PageConfig;
  try {
    const response = await fetch('/config.json', { cache: 'no-store' });
    if (!response.ok) throw new Error(`the server answered ${response.status}`);
    config = (await response.json()) as PageConfig;
  } catch (error) {
    $('link').querySelector('.text')!.textContent = `cannot load the page's settings: ${(error as Error).message}`;
    return;
  }
  $('device').textContent = `— ${config.deviceId}`;
  document.title = `Ground station — ${config.deviceId}`;
  const wanted = new URLSearchParams(location.search).get('party');
  const party = wanted ? config.parties.find((p) => p.role === wanted) : undefined;
  if (party) void watch(config, party, party.username, party.password);
  else showLogin(config, wanted ? `There is no party "${wanted}": choose one below.` : '');
}

function showLogin(config: PageConfig, problem: string): void {
  $('login').hidden = false;
  $('login-problem').textContent = problem;
  const choices = $('party-choices');
  choices.replaceChildren();
  for (const p of config.parties) {
    const view = partyView(p.role, config.deviceId);
    const label = document.createElement('label');
    const input = document.createElement('input');
    input.type = 'radio';
    input.name = 'party';
    input.value = p.role;
    input.checked = p.role === 'crew';
    input.addEventListener('change', () => {
      ($('username') as HTMLInputElement).value = p.username ?? '';
      ($('password') as HTMLInputElement).value = p.password ?? '';
    });
    const hint = document.createElement('span');
    hint.className = 'hint';
    hint.textContent = ` — ${view.summary}`;
    label.append(input, ` ${view.name}`, hint);
    choices.append(label);
  }
  $('accounts-from').textContent = config.accountsFrom
    ? `Each party's page account comes from ${config.accountsFrom}.`
    : "Type an account of this party from the broker's parties.json (its second seat, e.g. crew-2, if a program uses the first), or leave both empty for a broker without logins.";
  const crew = config.parties.find((p) => p.role === 'crew');
  ($('username') as HTMLInputElement).value = crew?.username ?? '';
  ($('password') as HTMLInputElement).value = crew?.password ?? '';
  $('login-form').onsubmit = (event) => {
    event.preventDefault();
    const chosen = (document.querySelector('input[name="party"]:checked') as HTMLInputElement | null)?.value;
    const p = config.parties.find((x) => x.role === chosen);
    if (!p) {
      $('login-problem').textContent = 'Choose a party first.';
      return;
    }
    history.replaceState(null, '', `?party=${p.role}`);
    $('login').hidden = true;
    void watch(config, p, ($('username') as HTMLInputElement).value, ($('password') as HTMLInputElement).value);
  };
  (choices.querySelector('input:checked') as HTMLInputElement | null)?.focus();
}

async function watch(config: PageConfig, party: PartyConfig, username: string | undefined, password: string | undefined): Promise<void> {
  const store = hooks.store;
  const view = partyView(party.role, config.deviceId);
  const readsAll = view.seesFlight;
  $('app').hidden = false;
  $('who').hidden = false;
  $('party-name').textContent = view.name;
  $('switch-party').onclick = () => {
    hooks.link?.close();
    location.search = '';
  };
  for (const id of ['readouts', 'plot-panel', 'node-panel']) $(id).hidden = !readsAll;
  $('commands').hidden = !view.commands;

  const board = new EmergencyBoard();
  const alarm = new Alarm();
  let phase: FlightPhase = 'no reading';
  let lastArrivalMs = 0;
  let intervalMs = 1000;
  let nodeOnline: string | undefined;
  let drawnVersion = -1;
  let frameScheduled = false;

  const chart = readsAll ? new FlightChart($('chart'), store, (view) => describeView(view)) : undefined;
  hooks.chart = chart;

  const frame = () => {
    frameScheduled = false;
    const started = performance.now();
    chart?.render();
    if (store.version !== drawnVersion) renderReadouts();
    hooks.frameMs.push(performance.now() - started);
    if (hooks.frameMs.length > 4096) hooks.frameMs.splice(0, 2048);
  };
  const scheduleFrame = () => {
    if (frameScheduled) return;
    frameScheduled = true;
    requestAnimationFrame(frame);
  };

  const renderReadouts = () => {
    drawnVersion = store.version;
    const n = store.length;
    if (n === 0) return;
    const alt = store.altitude[n - 1];
    const vs = store.verticalSpeed[n - 1];
    phase = flightPhase(alt, vs, phase);
    $('altitude').textContent = alt === alt ? alt.toFixed(1) : '—';
    $('vertical-speed').textContent = vs === vs ? signed(vs, 1) : '—';
    $('vs-arrow').textContent = vs !== vs ? '' : vs > 0.25 ? '▲ ' : vs < -0.25 ? '▼ ' : '■ ';
    $('phase').textContent = phase;
    const quality = store.qualityAt(n - 1);
    $('sensor').textContent = quality === 'ok' ? '✔ ok' : quality === 'degraded' ? '! degraded' : '✖ FAULT';
    $('link-quality').textContent = `${store.length.toLocaleString('en-US')} in memory · ${store.missing} missing · ${store.duplicates} duplicates ignored`;
  };

  const renderBanner = () => {
    const banner = $('banner');
    const list = $('banner-list');
    list.replaceChildren();
    for (const e of board.active.values()) {
      const item = document.createElement('li');
      item.textContent = `${e.kind.toUpperCase()}: ${e.msg}${e.ts !== null ? ` (since ${clockTime(e.ts)})` : ''}`;
      list.append(item);
    }
    banner.hidden = board.active.size === 0;
    $('emergency-none').textContent = board.active.size === 0 ? 'No emergency reported' : `${board.active.size} active: see the banner above`;
    if (board.active.size === 0) alarm.stop();
  };

  const describeView = (view: ChartView) => {
    for (const button of document.querySelectorAll<HTMLButtonElement>('[data-follow]')) {
      button.setAttribute('aria-pressed', String(view.follow && String(view.spanS) === button.dataset.follow));
    }
    $('view-label').textContent = view.follow
      ? view.spanS === Infinity ? 'Showing the whole flight, following the newest reading' : `Following the newest reading, last ${duration(view.spanS)}`
      : `Showing ${clockTime(view.min * 1000)}–${clockTime(view.max * 1000)} (End: follow live)`;
    scheduleFrame();
  };
  if (chart) describeView(chart.view);

  const tracker = new CommandTracker(`gs-${Math.random().toString(36).slice(2, 8)}`);
  const renderCommand = (command: SentCommand) => {
    let item = document.getElementById(`cmd-${command.id}`);
    if (!item) {
      item = document.createElement('li');
      item.id = `cmd-${command.id}`;
      $('command-list').prepend(item);
    }
    const { id: _id, ...args } = command.payload;
    const what = `${clockTime(command.sentAt)} ${command.name} ${Object.keys(args).length ? JSON.stringify(args) : ''} (id ${command.id})`;
    if (!command.reply) {
      item.dataset.outcome = 'waiting';
      item.textContent = `${what}: waiting for the reply…`;
    } else {
      item.dataset.outcome = command.reply.ok ? 'ok' : 'refused';
      item.textContent = `${what}: ${command.reply.ok ? '✔' : '✖'} ${describeReply(command.reply)} (${command.repliedAt! - command.sentAt} ms)`;
    }
  };

  const clientId = await claimClientId(config.wsUrl, config.deviceId, party.role, username);
  if (clientId === undefined) {
    $('link').querySelector('.text')!.textContent = `${view.name}: this account is already watching in another tab of this browser (one connection per account); use that tab, or close it and reload this one`;
    return;
  }
  const link = new GroundLink(
    { deviceId: config.deviceId, subscriptions: view.subscriptions, wsUrl: config.wsUrl, clientId, username, password },
    {
      state: (state) => renderLink(state),
      error: (error) => logEvent(`link: ${error.message}`),
      refused: (filter) => logEvent(`the broker refused ${view.name} the subscription ${filter}: this account may not read it`, 'alarm'),
      message: (leaf, text, message) => {
        switch (leaf) {
          case 'telemetry': {
            const parsed = parseTelemetry(text);
            if ('error' in parsed) {
              logEvent(parsed.error);
              return;
            }
            const result = store.add(parsed.reading);
            if (result === 'appended') lastArrivalMs = Date.now();
            if (result !== 'duplicate') scheduleFrame();
            return;
          }
          case 'emergency': {
            const arrivalMs = performance.now();
            const parsed = parseEmergency(text);
            if ('error' in parsed) {
              logEvent(parsed.error);
              return;
            }
            const e = parsed.emergency;
            const change = board.apply(e);
            if (change === 'same') return;
            renderBanner(); // now, not at the next draw: the next frame shows it
            const when = e.ts !== null ? ` at ${clockTime(e.ts)}` : '';
            if (change === 'raised') {
              logEvent(`EMERGENCY ${e.kind}${when}: ${e.msg}${message.retain ? ' (still active when we connected)' : ''}`, 'alarm');
              alarm.start();
              requestAnimationFrame(() => {
                const item = [...$('banner-list').children].some((li) => li.textContent?.startsWith(e.kind.toUpperCase()));
                hooks.emergencyTimings.push({ kind: e.kind, arrivalMs, shownMs: performance.now(), visible: $('banner').checkVisibility() && item });
              });
            } else {
              logEvent(`cleared: ${e.kind}${when}: ${e.msg}`);
            }
            return;
          }
          case 'status':
            if (text !== nodeOnline) logEvent(`node ${text}${message.retain ? ' (retained)' : ''}`);
            nodeOnline = text;
            $('node-status').textContent = text === 'online' ? '● online' : text === 'offline' ? '○ OFFLINE' : text;
            return;
          case 'info':
            renderInfo(text);
            return;
          case 'reply': {
            const reply = parseReply(text);
            if (!reply) return;
            const command = tracker.match(reply, Date.now());
            if (command) renderCommand(command);
            else logEvent(`reply to ${reply.cmd} ${reply.id === null ? '' : `(id ${String(reply.id)}) `}${describeReply(reply)}`);
            return;
          }
          case 'ota':
            logEvent(`update: ${text}`);
            return;
          default:
            if (leaf.startsWith('cmd/')) logEvent(`command ${leaf.slice(4)} sent: ${text.slice(0, 120)}`);
        }
      },
    },
  );
  hooks.link = link;

  const renderInfo = (text: string) => {
    let info: Record<string, unknown>;
    try {
      info = JSON.parse(text) as Record<string, unknown>;
    } catch {
      logEvent(`info is not JSON: ${text.slice(0, 80)}`);
      return;
    }
    const show = (id: string, value: unknown) => ($(id).textContent = value === null || value === undefined ? '—' : String(value));
    show('info-fw', info.fw);
    show('info-board', info.board);
    show('info-chip', info.chip ?? 'none found');
    show('info-reset', info.resetReason);
    show('info-uptime', typeof info.uptimeS === 'number' ? `${duration(info.uptimeS)} (at ${clockTime(Date.now())})` : undefined);
    show('info-reference', typeof info.referencePa === 'number' ? `${(info.referencePa / 100).toFixed(1)} hPa` : 'launch site (not zeroed yet)');
    show('info-outbox', typeof info.outbox === 'number' ? `${info.outbox} waiting, ${String(info.dropped ?? 0)} dropped` : undefined);
    if (typeof info.intervalMs === 'number') intervalMs = info.intervalMs;
  };

  const renderLink = (state: LinkState) => {
    const element = $('link');
    element.dataset.state = state.kind;
    const icon = element.querySelector('.icon')!;
    const text = element.querySelector('.text')!;
    if (state.kind === 'connected') {
      icon.textContent = '●';
      text.textContent = `connected to the broker${state.sessionPresent ? ' (session resumed)' : ''}`;
      logEvent(`connected to ${config.wsUrl} as ${clientId}${state.sessionPresent ? ': the broker kept our session, the gap fills from it' : ': new session'}`);
    } else if (state.kind === 'refused') {
      icon.textContent = '✖';
      text.textContent = `the broker refused the login${username ? ` as ${username}` : ' (no user name given)'}: check the user name and password (Switch party to log in again)`;
      logEvent(`login refused: ${state.reason}`, 'alarm');
    } else if (state.kind === 'reconnecting') {
      icon.textContent = '⟳';
      text.textContent = `reconnecting since ${clockTime(state.sinceMs)}`;
      if (state.attempts === 0) logEvent(`link lost: ${state.reason}`);
      element.title = state.reason;
    } else {
      icon.textContent = '…';
      text.textContent = state.kind === 'connecting' ? `connecting to ${config.wsUrl}` : 'closed';
    }
  };
  renderLink(link.state);

  // The age of the last reading, ticking even when nothing arrives (that is when it matters).
  setInterval(() => {
    if (!readsAll || lastArrivalMs === 0) return;
    const ageS = (Date.now() - lastArrivalMs) / 1000;
    const stale = ageS * 1000 > 3 * intervalMs + 2000;
    const age = $('age');
    age.textContent = `${stale ? 'STALE: ' : ''}received ${duration(ageS)} ago`;
    age.classList.toggle('stale', stale);
  }, 500);

  // Plot controls (buttons and keys) and the CSV download.
  if (chart) {
    for (const button of document.querySelectorAll<HTMLButtonElement>('[data-follow]')) {
      button.onclick = () => chart.follow(Number(button.dataset.follow));
    }
    $('pan-left').onclick = () => chart.pan(-0.25);
    $('pan-right').onclick = () => chart.pan(0.25);
    $('zoom-in').onclick = () => chart.zoom(0.5);
    $('zoom-out').onclick = () => chart.zoom(2);
    $('chart').addEventListener('keydown', (event) => {
      const actions: Record<string, () => void> = {
        ArrowLeft: () => chart.pan(-0.25), ArrowRight: () => chart.pan(0.25),
        '+': () => chart.zoom(0.5), '=': () => chart.zoom(0.5), '-': () => chart.zoom(2),
        Home: () => chart.follow(Infinity), End: () => chart.follow(600),
      };
      const action = actions[event.key];
      if (action) {
        event.preventDefault();
        action();
      }
    });
    $('download').onclick = () => {
      const blob = new Blob([store.toCsv()], { type: 'text/csv' });
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      const first = store.length > 0 ? new Date(store.time[0] * 1000).toISOString().slice(0, 19).replace(/[:T]/g, '-') : 'empty';
      a.download = `flight-${config.deviceId}-${first}.csv`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
      logEvent(`downloaded ${store.length} readings as ${a.download}`);
    };
  }

  ($('sound') as HTMLInputElement).onchange = (event) => alarm.enable((event.target as HTMLInputElement).checked);
  $('silence').onclick = () => alarm.stop();

  // The crew's commands: each gets an id, and its line shows the reply that carries it back.
  const problem = (text: string) => ($('command-problem').textContent = text);
  const send = (name: string, args: Record<string, unknown>) => {
    try {
      link.command(name, tracker.create(name, args, Date.now()).payload);
    } catch (error) {
      problem(`Not sent: ${(error as Error).message}`); // every in-flight slot taken: try again in a moment
      tracker.sent.pop();
      return;
    }
    renderCommand(tracker.sent[tracker.sent.length - 1]);
  };
  $('cmd-ping').onclick = () => send('ping', {});
  $('zero-form').onsubmit = (event) => {
    event.preventDefault();
    problem('');
    const mode = (document.querySelector('input[name="zero-mode"]:checked') as HTMLInputElement).value;
    if (mode === 'here') return send('zero', {});
    const input = $(mode === 'qnh' ? 'zero-qnh' : 'zero-field') as HTMLInputElement;
    const value = Number(input.value.replace(',', '.'));
    if (input.value.trim() === '' || !Number.isFinite(value)) {
      problem(mode === 'qnh' ? 'Type the QNH in hPa, e.g. 1013.2' : 'Type the field elevation in metres, e.g. 312');
      input.focus();
      return;
    }
    send('zero', mode === 'qnh' ? { qnh: Math.round(value * 100) } : { fieldElevationM: value });
  };
  $('config-form').onsubmit = (event) => {
    event.preventDefault();
    problem('');
    let change: unknown;
    try {
      change = JSON.parse(($('config-json') as HTMLTextAreaElement).value);
    } catch (error) {
      problem(`The settings are not valid JSON: ${(error as Error).message}`);
      return;
    }
    if (typeof change !== 'object' || change === null || Array.isArray(change)) {
      problem('The settings must be a JSON object, e.g. {"sampleIntervalMs": 1000}');
      return;
    }
    send('config', change as Record<string, unknown>);
  };
}

void main();
