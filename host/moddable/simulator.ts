// Runs a simulator build of the firmware in mcsim, the Moddable desktop simulator.
//
// One build serves every run: what differs between runs (broker, TLS, CA, device id, flight
// scenario) is handed to the firmware at launch. mcsim runs in its own directory, where the
// firmware's preferences live (boards/sim/manifest.json sets the file root to "./"); before mcsim
// starts, the launch settings are written there under the preference domain "launch", which the sim
// board reads (src/platform/moddable/sim/launch.ts), and a recorded flight to replay next to them.
//
// The preferences hold the device's login, so the run directory is its owner's only (0700, the file
// 0600), and mcsim runs with umask 077: the SDK's Preference module deletes and re-creates the file
// at every Preference.set (modules/files/preference/lin/preference.js), under the process's umask.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ModdableSdk } from './sdk';

/** What a simulator run may set at launch; anything left out comes from the build's config. */
export interface LaunchSettings {
  deviceId?: string;
  brokerHost?: string;
  brokerPort?: number;
  brokerTls?: boolean;
  /** The CA that signed the broker's certificate, base64 DER on one line. */
  brokerCa?: string;
  /** The device's login (src/platform/moddable/broker-login.ts). */
  brokerUsername?: string;
  brokerPassword?: string;
  /** A client certificate (base64 DER) and its RSA key (base64 PKCS#8 DER), for mutual TLS. */
  brokerClientCert?: string;
  brokerClientKey?: string;
  flightScenario?: string;
  flightSeed?: number;
  /** A recorded flight's file under mcsim's working directory, flown as "replay" (see SimulatorOptions.recordedFlight). */
  flightFile?: string;
}

/** The preferences file of the SDK's lin Preference module, relative to the file root. */
const PREFERENCES_FILE = 'modpreferences.json';
const LAUNCH_DOMAIN = 'launch';
/** Where a recorded flight is put for the firmware, in mcsim's working directory (its file root). */
const FLIGHT_FILE = 'flight.csv';
const DEFAULT_DEADLINE_MS = 30_000;

export interface WaitOptions {
  /** What is awaited, in words, for the message when the deadline passes (default: the pattern). */
  what?: string;
  timeoutMs?: number;
  /** More lines for that message, e.g. the broker's log. */
  context?: () => string;
}

export class SimulatorWaitError extends Error {
  readonly code = 'SIMULATOR_WAIT';
}

export interface SimulatorProcess {
  child: ChildProcess;
  /** Lines the app traced so far. */
  traces: string[];
  /** The directory mcsim runs in (the firmware's preferences live there). */
  runDir: string;
  /** mcsim's own local directory ($XDG_CONFIG_HOME/tech.moddable.mcsim): the balloon pane's files live there. */
  localDirectory: string;
  /**
   * Resolves with the first trace line matching `pattern`. Rejects, naming what was awaited and
   * showing the last traces, when the deadline passes or mcsim exits first.
   */
  waitForTrace(pattern: RegExp, options?: WaitOptions): Promise<string>;
  /** The last `count` traces, mcsim's state and its stderr, for a failure message. */
  report(count?: number): string;
  stop(): Promise<void>;
}

/** Writes the launch settings into the preferences in `runDir`, keeping the firmware's own domains. */
export function writeLaunchSettings(runDir: string, settings: LaunchSettings): void {
  writePreferenceDomain(runDir, LAUNCH_DOMAIN, { ...settings });
}

/**
 * Sets one preference domain of the firmware in `runDir` (what Preference.get(domain, key) reads on
 * the device; NVS there), keeping the others; a domain with no values is removed.
 */
export function writePreferenceDomain(runDir: string, domain: string, values: Record<string, string | number | boolean | undefined>): void {
  const file = path.join(runDir, PREFERENCES_FILE);
  let preferences: Record<string, unknown> = {};
  if (existsSync(file)) {
    try {
      preferences = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new Error(`${file} holds the simulator's preferences but is not JSON (${(error as Error).message}): delete it to start from the defaults`);
    }
  }
  const defined = Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
  if (Object.keys(defined).length) preferences[domain] = defined;
  else delete preferences[domain];
  writePrivateFile(file, JSON.stringify(preferences));
}

/** Writes a file only its owner can read (mode 0600, also when it was there before with another mode). */
function writePrivateFile(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
}

export interface SimulatorOptions {
  /** Run under xvfb-run (default: when there is no $DISPLAY). Ignored when `display` is given. */
  headless?: boolean;
  launch?: LaunchSettings;
  /**
   * A recorded flight to replay (CSV text, already checked with parseFlightCsv): written into the run
   * directory, and the launch settings say to fly it (flightScenario "replay", flightFile).
   */
  recordedFlight?: string;
  /** mcsim's working directory, where the firmware's preferences live (made private, 0700). Default: a fresh temporary one, removed at stop(). */
  runDir?: string;
  /** The X display to open the window on (e.g. a VirtualDisplay's), instead of $DISPLAY or xvfb-run. */
  display?: string;
  /** The folder of device definitions mcsim offers (default: the SDK's build/simulators). */
  simulators?: string;
  /** Where the window opens and how big it is (default: mcsim's own choice, 640×480). */
  window?: { x: number; y: number; width: number; height: number };
}

/** mcsim's signature (PIU_DOT_SIGNATURE): the name of its folder and files under $XDG_CONFIG_HOME. */
const MCSIM_SIGNATURE = 'tech.moddable.mcsim';

/**
 * Starts mcsim with the app. Without a display it runs under `xvfb-run -a`; trace() output goes to
 * mcsim's stdout, block-buffered unless run under `stdbuf -oL`. Each run gets its own directory
 * (mcsim's working directory and config home, which it copies the app into) unless `runDir` names
 * one to keep, so parallel runs do not collide.
 */
export function startSimulator(sdk: ModdableSdk, mcSo: string, options: SimulatorOptions = {}): SimulatorProcess {
  const headless = options.display === undefined && (options.headless ?? !process.env.DISPLAY);
  const runDir = options.runDir ?? mkdtempSync(path.join(os.tmpdir(), 'altimeter-mcsim-'));
  const temporary = options.runDir === undefined;
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  chmodSync(runDir, 0o700); // it holds the login
  let launch = options.launch ?? {};
  if (options.recordedFlight !== undefined) {
    writePrivateFile(path.join(runDir, FLIGHT_FILE), options.recordedFlight);
    launch = { ...launch, flightScenario: 'replay', flightFile: FLIGHT_FILE };
  }
  writeLaunchSettings(runDir, launch);
  if (options.window) {
    // mcsim's window remembers its place in <signature>.ini (modules/piu/PC/lin/piuView.c).
    const { x, y, width, height } = options.window;
    writeFileSync(path.join(runDir, `${MCSIM_SIGNATURE}.ini`), `[window]\nx=${x}\ny=${y}\nwidth=${width}\nheight=${height}\n`);
  }
  const mcsim = path.join(sdk.binDir, 'mcsim');
  const simulators = options.simulators ?? path.join(sdk.dir, 'build/simulators');
  // umask 077: whatever mcsim writes there (its preferences, with the login) is its owner's only.
  const command = ['sh', '-c', 'umask 077 && exec "$@"', 'sh', ...(headless ? ['xvfb-run', '-a'] : []), 'stdbuf', '-oL', mcsim, simulators, mcSo];
  const child = spawn(command[0], command.slice(1), {
    env: { ...sdk.env, XDG_CONFIG_HOME: runDir, ...(options.display === undefined ? {} : { DISPLAY: options.display }) },
    cwd: runDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const traces: string[] = [];
  let stderr = '';
  const waiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>();
  let partial = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith('instruments')) continue;
      traces.push(line);
      for (const waiter of waiters) {
        if (!waiter.pattern.test(line)) continue;
        waiters.delete(waiter);
        waiter.resolve(line);
      }
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-4000)));
  // 'close', not 'exit': the last traces may still be in the pipe when the process exits.
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));

  const report = (count = 20) => {
    const state = child.exitCode !== null || child.signalCode !== null ? `mcsim exited (${child.exitCode ?? child.signalCode})` : 'mcsim still running';
    // A reading a second would fill the report: what went wrong is in the other lines (connects,
    // disconnects, errors), so the routine "reading ok" lines are left out and counted.
    const telling = traces.filter((line) => !line.startsWith('reading ok'));
    const last = telling.slice(-count);
    const errors = stderr.trim() ? `\nmcsim stderr:\n${stderr.trim().split('\n').slice(-10).join('\n')}` : '';
    return `${state}; its last ${last.length} of ${traces.length} traces (${traces.length - telling.length} "reading ok" lines left out):\n${last.map((line) => `  | ${line}`).join('\n') || '  (none)'}${errors}`;
  };

  return {
    child,
    traces,
    runDir,
    localDirectory: path.join(runDir, MCSIM_SIGNATURE),
    report,
    waitForTrace(pattern, { what = `a trace matching ${pattern}`, timeoutMs = DEFAULT_DEADLINE_MS, context } = {}) {
      const seen = traces.find((line) => pattern.test(line));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = { pattern, resolve: (line: string) => finish(() => resolve(line)) };
        const fail = (why: string) =>
          finish(() => reject(new SimulatorWaitError(`${why} waiting for ${what}\n${report()}${context ? `\n${context()}` : ''}`)));
        const timer = setTimeout(() => fail(`no trace within ${timeoutMs / 1000} s`), timeoutMs);
        let done = false;
        function finish(settle: () => void) {
          if (done) return;
          done = true;
          clearTimeout(timer);
          waiters.delete(waiter);
          settle();
        }
        waiters.add(waiter);
        void exited.then(() => fail(`mcsim exited (${child.exitCode ?? child.signalCode})`));
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGTERM'); // the whole group: xvfb-run, Xvfb and mcsim
        } catch {
          /* already gone */
        }
        await exited;
      }
      if (temporary) rmSync(runDir, { recursive: true, force: true });
    },
  };
}
