// The desktop simulator's barometer: a named flight of the physical model (src/sim/), chosen by the
// build config (flightScenario, flightSeed), measured by a simulated BMP280. The simulator has no
// I2C bus.
import type { Clock } from "ports";
import type { Barometer } from "sensor/barometer";
import type { BoardConfig } from "platform/moddable/board-config";
import type { SimulatedFlight } from "sim/flight";
import { flyScenario, isScenarioName, SCENARIO_NAMES } from "sim/scenarios";

let flying: SimulatedFlight | undefined;

/** The flight being flown, for live inputs (burner, vent, an altitude to hold, an envelope failure now). */
export function currentFlight(): SimulatedFlight | undefined {
  return flying;
}

export function createBarometerOpener(config: BoardConfig, clock: Clock): () => Barometer {
  const name = config.flightScenario ?? "normal";
  if (!isScenarioName(name)) throw new Error(`flightScenario "${name}" is not one of ${SCENARIO_NAMES.join(", ")}`);
  const seed = config.flightSeed ?? 1;
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`flightSeed must be a whole number, not ${config.flightSeed}`);
  const { flight, barometer } = flyScenario(name, clock, { seed });
  flying = flight;
  return () => barometer;
}
