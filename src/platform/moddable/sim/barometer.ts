// The desktop simulator's barometer: a simulated chip (noise and all) flying the flight chosen on
// the simulator's pane, with the faults the pane switches on. The firmware reads it through its
// normal sampling path (altimeter, filters, emergencies), exactly as it would read a BMP280.
//
// Flights: a scripted scenario (normal, crash, sensor-fault; restarted from its beginning when
// picked) or "manual", flown from where the balloon is with the pane's target altitude and
// envelope-failure button (manual-flight.ts). The first flight is the build config's
// `flightScenario`. Faults: the chip stops answering (NACK), its reading freezes (the same values
// again, which the altimeter calls stuck), or spikes (every fourth sample off by 40–80 m).
import type { Clock } from "ports";
import type { Barometer, BarometerSample, ChipName } from "sensor/barometer";
import { SensorFault } from "sensor/errors";
import type { BoardConfig } from "platform/moddable/board-config";
import { FLIGHT_SCENARIOS, SimulatedBarometer, type FlightPath, type FlightScenario } from "sensor/simulated";
import { ManualFlight } from "./manual-flight";
import { fieldsOf, onPanel } from "./panel-link";

export type FlightChoice = FlightScenario | "manual";
export const FLIGHT_CHOICES: readonly FlightChoice[] = [...FLIGHT_SCENARIOS, "manual"];
const MAX_TARGET_M = 10_000;
const SPIKE_EVERY = 4;

export class PanelBarometer implements Barometer {
  readonly chip: ChipName = "SIMULATED";
  readonly address = 0;
  readonly #clock: Clock;
  #source: SimulatedBarometer<FlightPath>;
  #manual: ManualFlight | undefined;
  readonly faults = { silent: false, frozen: false, spikes: false };
  readonly #held: BarometerSample = { pressure: 0, temperature: 0 };
  #holding = false;
  #samples = 0;

  constructor(clock: Clock, choice: FlightChoice) {
    this.#clock = clock;
    this.#source = new SimulatedBarometer({ clock, scenario: "normal" });
    this.fly(choice);
  }

  /** Starts a scripted scenario from its beginning, or takes the balloon over by hand from where it is. */
  fly(choice: FlightChoice): void {
    const now = this.#clock.now();
    if (choice === "manual") {
      this.#manual = new ManualFlight(now, this.#source.flight.at(now));
      this.#source = new SimulatedBarometer({ clock: this.#clock, scenario: "normal", flight: this.#manual });
    } else {
      this.#manual = undefined;
      this.#source = new SimulatedBarometer({ clock: this.#clock, scenario: choice, startMs: now });
    }
  }

  /** The pilot heads for `altitudeM` (taking the balloon over by hand if a scenario was flying). */
  setTarget(altitudeM: number): string | undefined {
    if (this.#manual?.envelopeFailed) return "the envelope has failed: no pilot can climb now; pick a flight to start again";
    this.#manualFlight().setTarget(altitudeM, this.#clock.now());
    return undefined;
  }

  /** The envelope tears now (taking the balloon over by hand if a scenario was flying). */
  failEnvelope(): void {
    this.#manualFlight().failEnvelope(this.#clock.now());
  }

  #manualFlight(): ManualFlight {
    if (!this.#manual) this.fly("manual");
    return this.#manual!;
  }

  sample(): BarometerSample {
    const faults = this.faults;
    if (faults.silent) throw new SensorFault("NACK", "SIMULATED: no acknowledge (the chip was silenced from the simulator pane)");
    if (faults.frozen && this.#holding) return this.#held;
    const sample = this.#source.sample();
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

  reinitialize(): void {}
  close(): void {}
}

/** The pane's "flight" messages: {scenario}, {targetAltitudeM}, {envelopeFailure: true}. */
function flightMessage(barometer: PanelBarometer, value: unknown): string | undefined {
  const fields = fieldsOf(value, "flight", ["scenario", "targetAltitudeM", "envelopeFailure"]);
  if (typeof fields === "string") return fields;
  const { scenario, targetAltitudeM, envelopeFailure } = fields;
  if (scenario !== undefined && !FLIGHT_CHOICES.includes(scenario as FlightChoice)) {
    return `flight.scenario must be one of ${FLIGHT_CHOICES.join(", ")}, not ${JSON.stringify(scenario)}`;
  }
  if (targetAltitudeM !== undefined && !(typeof targetAltitudeM === "number" && targetAltitudeM >= 0 && targetAltitudeM <= MAX_TARGET_M)) {
    return `flight.targetAltitudeM must be a number of metres from 0 to ${MAX_TARGET_M}, not ${JSON.stringify(targetAltitudeM)}`;
  }
  if (envelopeFailure !== undefined && envelopeFailure !== true) return `flight.envelopeFailure can only be true, not ${JSON.stringify(envelopeFailure)}`;
  if (scenario !== undefined) barometer.fly(scenario as FlightChoice);
  if (targetAltitudeM !== undefined) {
    const refused = barometer.setTarget(targetAltitudeM as number);
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
  const choice = (config.flightScenario ?? "normal") as FlightChoice;
  if (!FLIGHT_CHOICES.includes(choice)) throw new Error(`flightScenario "${choice}" is not one of ${FLIGHT_CHOICES.join(", ")}`);
  const barometer = new PanelBarometer(clock, choice);
  onPanel("flight", (value) => flightMessage(barometer, value));
  onPanel("sensor", (value) => sensorMessage(barometer, value));
  return () => barometer;
}
