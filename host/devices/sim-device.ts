// `npm start -- --device sim`: the node is the real firmware, built by the Moddable toolchain and
// running in the desktop simulator (mcsim) with the balloon's pane, instead of the core on the Node
// adapters. Everything around it (broker, ground parties, terminal view) stays the same. Without a
// display mcsim runs headless under Xvfb and the firmware's traces feed the terminal view.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AltitudeReading, Quality } from '../../src/sensor/altimeter';
import type { SensorFaultCode } from '../../src/sensor/errors';
import { buildForSimulator, typecheckFirmware } from '../moddable/build';
import { locateModdableSdk, projectRoot, type ModdableSdk } from '../moddable/sdk';
import { BALLOON_SIMULATORS } from '../moddable/sim-panel';
import { startSimulator, writePreferenceDomain, type SimulatorProcess } from '../moddable/simulator';

export interface SimDeviceOptions {
  broker: { host: string; port: number; tls: boolean };
  /** The node's login at the broker (the embedded broker's account for it, or the user's). */
  login?: { username: string; password: string };
  id: string;
  scenario: string;
  /** A recorded flight to replay instead of the scenario: the CSV text, already checked (parseFlightCsv). */
  recordedFlight?: string;
  /** Seed of the flight's wind and the chip's noise. */
  seed: number;
  /** Progress of the build and launch, before the view takes the terminal. */
  progress: (line: string) => void;
  /** A reading the firmware traced, with its outbox depth. */
  onReading: (reading: AltitudeReading, outbox: number) => void;
  /** A firmware trace worth showing among the events (emergencies, link changes, faults, the pane). */
  onEvent: (line: string) => void;
  /** mcsim ended without stop() (its window was closed, or it failed): the device is gone; `why` ends with its last traces and stderr. */
  onExit: (why: string) => void;
}

export interface SimDevice {
  simulator: SimulatorProcess;
  /** Closes the simulator. The firmware gets no chance to say goodbye: the broker publishes its will ("offline"). */
  stop(): Promise<void>;
}

const READING = /^reading (ok|degraded|fault) alt=(\S+) m vs=(\S+) m\/s outbox=(\d+)$/;
const FAULT = /^sensor fault ([A-Z_]+): /;
const EVENT = /^(emergency|connected|disconnected|network|panel|no MQTT broker|sensor fault|command|altitude reference|restored)/;

/**
 * $ALTIMETER_SIM_FIRMWARE names a simulator build (mc.so) to run instead of building one: the test
 * suites build the firmware once per run and share it (host-tests/moddable/shared-firmware.ts).
 */
export const PREBUILT_FIRMWARE_ENV = 'ALTIMETER_SIM_FIRMWARE';

/** The firmware to run: the prebuilt one, or a type-checked build of the working tree. */
async function simulatorFirmware(sdk: ModdableSdk, progress: (line: string) => void): Promise<string> {
  const prebuilt = process.env[PREBUILT_FIRMWARE_ENV];
  if (prebuilt) {
    if (!existsSync(prebuilt)) throw new Error(`$${PREBUILT_FIRMWARE_ENV} is ${prebuilt}, which does not exist: unset it to build the firmware`);
    progress(`running the prebuilt firmware ${prebuilt} ($${PREBUILT_FIRMWARE_ENV})`);
    return prebuilt;
  }
  progress('type-checking the firmware…');
  await typecheckFirmware();
  progress(`building the firmware for the desktop simulator with the SDK in ${sdk.dir}…`);
  // One build serves every run (host/moddable/build.ts): what this run needs goes in at launch.
  return buildForSimulator(sdk, path.join(projectRoot, 'build/sim'));
}

export async function startSimDevice(options: SimDeviceOptions): Promise<SimDevice> {
  const sdk = await locateModdableSdk(options.progress);
  const mcSo = await simulatorFirmware(sdk, options.progress);
  return launchSimDevice(sdk, mcSo, options);
}

/** Runs a simulator build (mc.so) as this run's device: what startSimDevice does once the firmware is built. */
export function launchSimDevice(sdk: ModdableSdk, mcSo: string, options: SimDeviceOptions): SimDevice {
  // Private (0700) from the start: the login goes in before mcsim runs.
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'altimeter-sim-device-'));
  // The login goes where the device keeps it (NVS, namespace "broker": src/platform/moddable/broker-login.ts).
  writePreferenceDomain(runDir, 'broker', { username: options.login?.username, password: options.login?.password });
  const simulator = startSimulator(sdk, mcSo, {
    runDir,
    launch: { deviceId: options.id, brokerHost: options.broker.host, brokerPort: options.broker.port, brokerTls: options.broker.tls, flightScenario: options.scenario, flightSeed: options.seed },
    recordedFlight: options.recordedFlight,
    simulators: BALLOON_SIMULATORS,
    window: { x: 0, y: 0, width: 760, height: 680 },
  });
  options.progress(`running the firmware in mcsim${process.env.DISPLAY ? '' : ' headless (no $DISPLAY: under Xvfb)'}`);
  let seen = 0;
  let lastFault: SensorFaultCode | undefined;
  const pump = setInterval(() => {
    while (seen < simulator.traces.length) {
      const line = simulator.traces[seen++];
      const reading = READING.exec(line);
      if (reading) {
        options.onReading(
          {
            timestampMs: Date.now(),
            quality: reading[1] as Quality,
            altitudeM: Number(reading[2] === '-' ? NaN : reading[2]),
            verticalSpeedMps: Number(reading[3] === '-' ? NaN : reading[3]),
            pressurePa: NaN,
            temperatureC: NaN,
            fault: reading[1] === 'fault' ? lastFault : undefined,
            faultMessage: '',
          },
          Number(reading[4]),
        );
        continue;
      }
      lastFault = (FAULT.exec(line)?.[1] as SensorFaultCode | undefined) ?? lastFault;
      if (EVENT.test(line)) options.onEvent(line);
    }
  }, 100);
  let stopping = false;
  // 'close', not 'exit': mcsim's last words (why it could not start: no display, a firmware that
  // threw) may still be in the pipe when it exits, and they are what the user needs.
  simulator.child.once('close', (code, signal) => {
    clearInterval(pump);
    if (!stopping) options.onExit(`mcsim ended (${signal ?? `exit ${code}`})\n${simulator.report(5)}`);
  });
  return {
    simulator,
    async stop() {
      stopping = true;
      clearInterval(pump);
      await simulator.stop();
      rmSync(runDir, { recursive: true, force: true }); // its preferences hold the login
    },
  };
}
