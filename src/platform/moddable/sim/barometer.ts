// The desktop simulator's barometer: a simulated BMP280 (src/sim/simulated-barometer.ts: its noise,
// filter and resolution) measuring the flight chosen on the simulator's pane, with the faults the
// pane switches on. The firmware reads it through its normal sampling path (altimeter, filters,
// emergencies), exactly as it would read a real chip.
//
// Flights: a named scenario of the physical model (src/sim/scenarios.ts; restarted from its
// beginning when picked; the first is the launch settings' flightScenario and flightSeed), "replay",
// a recorded flight (the launch settings' flightFile, recording.ts; restarted from its beginning when
// picked; offered only when there is one), or "manual", flown by hand from where the balloon is with
// the pane's target altitude or its burner button (manual-flight.ts). "Fail now" tears the envelope of whichever flies:
// the model's own failure in a scenario; in a replay, which cannot be changed, the pilot takes over
// from where the recording is and that manual flight fails; the manual flight's fall otherwise.
// Faults on top of the flight's own: the chip stops answering (NACK), its reading freezes (the same
// values again, which the altimeter calls stuck), or spikes (every fourth sample off by 40–80 m).
import type { Clock } from "ports";
import type { Barometer, BarometerSample, ChipName } from "sensor/barometer";
import { SensorFault } from "sensor/errors";
import { pressureAtAltitudePa } from "sensor/altitude";
import type { BoardConfig } from "platform/moddable/board-config";
import { DEFAULT_LAUNCH_ELEVATION_M, type SimulatedFlight } from "sim/flight";
import { flyScenario, SCENARIO_NAMES, type ScenarioName } from "sim/scenarios";
import { SimulatedBarometer, type FlightSource } from "sim/simulated-barometer";
import { RecordedFlight, type RecordedFlightData } from "sim/recorded-flight";
import { ManualFlight } from "./manual-flight";
import { fieldsOf, onPanel } from "./panel-link";
import { readRecordedFlight } from "./recording";

export type FlightChoice = ScenarioName | "replay" | "manual";

/** The flights a run can fly, in the pane's order: "replay" only with a recorded flight. */
function flightsWith(recording: boolean): readonly FlightChoice[] {
  return recording ? [...SCENARIO_NAMES, "replay", "manual"] : [...SCENARIO_NAMES, "manual"];
}

/** The flights this run can fly: "replay" only when the launch gave a recorded flight (flightFile). */
export function flightChoices(config: BoardConfig): readonly FlightChoice[] {
  return flightsWith(Boolean(config.flightFile));
}
const MAX_TARGET_M = 10_000;
const SPIKE_EVERY = 4;
const QNH_PA = 101_325;

/** The manual flight as the chip sees it: the air at its height over the launch site. */
class ManualSource implements FlightSource {
  readonly flight: ManualFlight;
  readonly #air = { pressurePa: 0, temperatureC: 0, sensor: "ok" as const };
  constructor(flight: ManualFlight) {
    this.flight = flight;
  }
  get startMs(): number {
    return this.flight.startMs;
  }
  at(nowMs: number) {
    const amsl = DEFAULT_LAUNCH_ELEVATION_M + this.flight.at(nowMs).altitudeM;
    this.#air.pressurePa = pressureAtAltitudePa(amsl, QNH_PA);
    this.#air.temperatureC = 15 - 0.0065 * amsl; // the standard atmosphere
    return this.#air;
  }
}

export class PanelBarometer implements Barometer {
  readonly chip: ChipName = "SIMULATED";
  readonly address = 0;
  readonly #clock: Clock;
  readonly #seed: number;
  readonly #recording: RecordedFlightData | undefined;
  readonly choices: readonly FlightChoice[];
  #scenario: SimulatedFlight | undefined;
  #replay: RecordedFlight | undefined;
  #manual: ManualFlight | undefined;
  #chip!: SimulatedBarometer;
  readonly faults = { silent: false, frozen: false, spikes: false };
  readonly #held: BarometerSample = { pressure: 0, temperature: 0 };
  #holding = false;
  #samples = 0;

  /** `recording`: the recorded flight "replay" flies, if the launch gave one. */
  constructor(clock: Clock, choice: FlightChoice, seed: number, recording?: RecordedFlightData) {
    this.#clock = clock;
    this.#seed = seed;
    this.#recording = recording;
    this.choices = flightsWith(recording !== undefined);
    this.fly(choice);
  }

  /** Starts a scenario or the recording from its beginning, or takes the balloon over by hand from where it is. */
  fly(choice: FlightChoice): void {
    if (!this.choices.includes(choice)) throw new Error(`flight "${choice}" is not one of ${this.choices.join(", ")}`);
    const now = this.#clock.now();
    if (choice === "manual") {
      const from = (this.#scenario ?? this.#replay ?? this.#manual)?.at(now) ?? { altitudeM: 0, verticalSpeedMps: 0 };
      this.#manual = new ManualFlight(now, from);
      this.#scenario = undefined;
      this.#replay = undefined;
      this.#chip = new SimulatedBarometer({ clock: this.#clock, flight: new ManualSource(this.#manual), seed: this.#seed });
    } else if (choice === "replay") {
      this.#replay = new RecordedFlight(this.#recording!, now);
      this.#scenario = undefined;
      this.#manual = undefined;
      this.#chip = new SimulatedBarometer({ clock: this.#clock, flight: this.#replay, seed: this.#seed });
    } else {
      const { flight, barometer } = flyScenario(choice, this.#clock, { seed: this.#seed, startMs: now });
      this.#scenario = flight;
      this.#replay = undefined;
      this.#manual = undefined;
      this.#chip = barometer;
    }
  }

  /** The pilot heads for `altitudeM` (taking the balloon over by hand if a scenario was flying). */
  setTarget(altitudeM: number): string | undefined {
    if (this.#manual?.envelopeFailed || (this.#scenario && this.#scenario.failedAtS >= 0)) {
      return "the envelope has failed: no pilot can climb now; pick a flight to start again";
    }
    if (!this.#manual) this.fly("manual");
    this.#manual!.setTarget(altitudeM, this.#clock.now());
    return undefined;
  }

  /** The burner on (held) or off: the pilot takes the balloon over by hand if it was not already. */
  setBurner(on: boolean): string | undefined {
    if (this.#manual?.envelopeFailed || (this.#scenario && this.#scenario.failedAtS >= 0)) {
      return "the envelope has failed: no burner can lift it now; pick a flight to start again";
    }
    if (!this.#manual) {
      if (!on) return undefined; // released while a scenario flies: nothing was burning
      this.fly("manual");
    }
    this.#manual!.setBurner(on, this.#clock.now());
    return undefined;
  }

  /** The envelope tears now (a replay is taken over by hand first: a recording cannot fail). */
  failEnvelope(): void {
    if (this.#scenario) return this.#scenario.failEnvelope();
    if (!this.#manual) this.fly("manual");
    this.#manual!.failEnvelope(this.#clock.now());
  }

  sample(): BarometerSample {
    const faults = this.faults;
    if (faults.silent) throw new SensorFault("NACK", "SIMULATED: no acknowledge (the chip was silenced from the simulator pane)");
    if (faults.frozen && this.#holding) return this.#held;
    const sample = this.#chip.sample();
    this.#held.pressure = sample.pressure;
    this.#held.temperature = sample.temperature;
    this.#holding = faults.frozen;
    if (faults.spikes && ++this.#samples % SPIKE_EVERY === 0) {
      // 500–1000 Pa, alternately up and down: 40–80 m near the ground, far beyond what a balloon does in a second.
      const spikePa = 500 + ((this.#samples * 137) % 500);
      this.#held.pressure += (this.#samples / SPIKE_EVERY) % 2 ? spikePa : -spikePa;
    }
    return this.#held;
  }

  reinitialize(): void {
    this.#chip.reinitialize();
  }

  close(): void {}
}

/** The pane's "flight" messages: {scenario}, {targetAltitudeM}, {burner: boolean}, {envelopeFailure: true}. */
function flightMessage(barometer: PanelBarometer, value: unknown): string | undefined {
  const fields = fieldsOf(value, "flight", ["scenario", "targetAltitudeM", "burner", "envelopeFailure"]);
  if (typeof fields === "string") return fields;
  const { scenario, targetAltitudeM, burner, envelopeFailure } = fields;
  if (scenario !== undefined && !barometer.choices.includes(scenario as FlightChoice)) {
    return `flight.scenario must be one of ${barometer.choices.join(", ")}, not ${JSON.stringify(scenario)}`;
  }
  if (targetAltitudeM !== undefined && !(typeof targetAltitudeM === "number" && targetAltitudeM >= 0 && targetAltitudeM <= MAX_TARGET_M)) {
    return `flight.targetAltitudeM must be a number of metres from 0 to ${MAX_TARGET_M}, not ${JSON.stringify(targetAltitudeM)}`;
  }
  if (burner !== undefined && typeof burner !== "boolean") return `flight.burner must be true or false, not ${JSON.stringify(burner)}`;
  if (envelopeFailure !== undefined && envelopeFailure !== true) return `flight.envelopeFailure can only be true, not ${JSON.stringify(envelopeFailure)}`;
  if (scenario !== undefined) barometer.fly(scenario as FlightChoice);
  if (targetAltitudeM !== undefined) {
    const refused = barometer.setTarget(targetAltitudeM as number);
    if (refused) return refused;
  }
  if (burner !== undefined) {
    const refused = barometer.setBurner(burner as boolean);
    if (refused) return refused;
  }
  if (envelopeFailure) barometer.failEnvelope();
  return undefined;
}

/** The pane's "sensor" messages: any of {silent, frozen, spikes} as booleans. */
function sensorMessage(barometer: PanelBarometer, value: unknown): string | undefined {
  const fields = fieldsOf(value, "sensor", ["silent", "frozen", "spikes"]);
  if (typeof fields === "string") return fields;
  for (const key in fields) if (typeof fields[key] !== "boolean") return `sensor.${key} must be true or false, not ${JSON.stringify(fields[key])}`;
  Object.assign(barometer.faults, fields);
  return undefined;
}

export function createBarometerOpener(config: BoardConfig, clock: Clock): () => Barometer {
  const choices = flightChoices(config);
  const choice = (config.flightScenario ?? "normal") as FlightChoice;
  if (!choices.includes(choice)) {
    const why = choice === "replay" ? ": replay needs a recorded flight (the launch setting flightFile)" : "";
    throw new Error(`flightScenario "${choice}" is not one of ${choices.join(", ")}${why}`);
  }
  const seed = config.flightSeed ?? 1;
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`flightSeed must be a whole number, not ${config.flightSeed}`);
  const barometer = new PanelBarometer(clock, choice, seed, config.flightFile ? readRecordedFlight(config.flightFile) : undefined);
  onPanel("flight", (value) => flightMessage(barometer, value));
  onPanel("sensor", (value) => sensorMessage(barometer, value));
  return () => barometer;
}
