// Driving the simulated balloon's pane from a program (tests, demos) through its scripting hook
// (boards/sim/simulator/balloon.js): a message appended to `panel-input.jsonl` in mcsim's local
// directory is applied by the pane as if its control had been used (the control moves, and the
// pane sends the message to the firmware over the simulator's message channel); the pane writes
// what its readout shows to `panel-readout.json` after each status the firmware sends.
import { execFile } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from './sdk';

/** The folder of device definitions to give mcsim: the balloon altimeter and its pane. */
export const BALLOON_SIMULATORS = path.join(projectRoot, 'boards/sim/simulator');

/** Some of the flights the firmware offers (its hello lists them all); 'replay' only when the launch gave a recorded flight. */
export type FlightChoice = 'normal' | 'crash' | 'sensor-fault' | 'replay' | 'manual';

/** The messages the pane sends to the firmware, one key each. */
export type PanelMessage =
  | { flight: { scenario?: FlightChoice; targetAltitudeM?: number; burner?: boolean; envelopeFailure?: true } }
  | { sensor: { silent?: boolean; frozen?: boolean; spikes?: boolean } }
  | { network: { up: boolean } };

/** The firmware's last status, as the pane received it. */
export interface PanelStatus {
  alt: number | null;
  vs: number | null;
  q: 'ok' | 'degraded' | 'fault';
  emergencies: string[];
  link: string;
  outbox: number;
  dropped: number;
}

/** What the pane shows, row by row, with the firmware's last status and where its buttons are. */
export interface PanelReadout {
  ALTITUDE: string;
  VERTICAL_SPEED: string;
  QUALITY: string;
  EMERGENCY: string;
  LINK: string;
  OUTBOX: string;
  FIRMWARE?: string;
  REFUSED?: string;
  status: PanelStatus;
  buttons: Record<string, { x: number; y: number; width: number; height: number }>;
  /** The pane's window contents (mcsim's application), in pixels. */
  application?: { width: number; height: number };
}

const run = promisify(execFile);

export class SimulatorPanel {
  readonly #input: string;
  readonly #readout: string;

  /** `localDirectory`: the simulator run's (SimulatorProcess.localDirectory). */
  constructor(localDirectory: string) {
    this.#input = path.join(localDirectory, 'panel-input.jsonl');
    this.#readout = path.join(localDirectory, 'panel-readout.json');
    mkdirSync(localDirectory, { recursive: true });
  }

  /** Has the pane apply `message` within a quarter of a second, as if its control had been used. */
  send(message: PanelMessage): void {
    appendFileSync(this.#input, `${JSON.stringify(message)}\n`);
  }

  /** What the pane shows now; undefined before the firmware's first status. */
  readout(): PanelReadout | undefined {
    if (!existsSync(this.#readout)) return undefined;
    try {
      return JSON.parse(readFileSync(this.#readout, 'utf8')) as PanelReadout;
    } catch {
      return undefined; // caught mid-write: the next one is whole
    }
  }

  /**
   * Clicks one of the pane's buttons with the real mouse (xdotool, on the X display mcsim runs on):
   * the pane's window is found by its title, and the button by where the pane says it is.
   */
  async click(button: string, display: string): Promise<void> {
    const readout = this.readout();
    const place = readout?.buttons[button];
    if (!place || !readout?.application) throw new Error(`the pane has not said where its "${button}" button is yet`);
    const xdotool = (...args: string[]) => run('xdotool', args, { env: { ...process.env, DISPLAY: display } });
    // The main window (mcsim also has an unmapped helper window of the same name).
    const window = (await xdotool('search', '--sync', '--onlyvisible', '--name', '^mcsim$')).stdout.trim().split('\n')[0];
    const geometry = Object.fromEntries(
      (await xdotool('getwindowgeometry', '--shell', window)).stdout.trim().split('\n').map((line) => line.split('=')),
    ) as Record<string, string>;
    // The pane's view fills the window below the menu bar.
    const menuBar = Number(geometry.HEIGHT) - readout.application.height;
    const x = Number(geometry.X) + Math.round(place.x + place.width / 2);
    const y = Number(geometry.Y) + menuBar + Math.round(place.y + place.height / 2);
    await xdotool('mousemove', String(x), String(y));
    await xdotool('click', '1');
  }

  /** Resolves with the readout once `accept` takes it; rejects after `timeoutMs`, saying what it last showed. */
  async waitFor(what: string, accept: (readout: PanelReadout) => boolean, timeoutMs: number): Promise<PanelReadout> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const readout = this.readout();
      if (readout && accept(readout)) return readout;
      if (Date.now() > deadline) throw new Error(`the pane did not show ${what} within ${timeoutMs} ms; it last showed ${JSON.stringify(readout?.status)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
