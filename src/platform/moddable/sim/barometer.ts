// The desktop simulator's barometer: the simulated flight (scenario from the config: normal, crash
// or sensor-fault). The simulator has no I2C bus.
import type { Clock } from "ports";
import type { Barometer } from "sensor/barometer";
import type { BoardConfig } from "platform/moddable/board-config";
import { FLIGHT_SCENARIOS, SimulatedBarometer, type FlightScenario } from "sensor/simulated";

export function createBarometerOpener(config: BoardConfig, clock: Clock): () => Barometer {
  const scenario = (config.flightScenario ?? "normal") as FlightScenario;
  if (!FLIGHT_SCENARIOS.includes(scenario)) throw new Error(`flightScenario "${scenario}" is not one of ${FLIGHT_SCENARIOS.join(", ")}`);
  const barometer = new SimulatedBarometer({ clock, scenario });
  return () => barometer;
}
