// The named flights through the simulated chip, the altimeter and the emergency rules, on Node and
// on XS alike: what each raised and when, beside the truth (failure, impact, when rapid-descent was
// due). Times are whole seconds of the flight, so the two engines' results can be compared as they are.
import { checkFlight } from '../../../src/sim/flight-check';
import { isScenarioName, scenario } from '../../../src/sim/scenarios';

export function namedScenario(name: string) {
  if (!isScenarioName(name)) throw new Error(`no scenario "${name}"`);
  const check = checkFlight(scenario(name));
  return {
    raised: check.raised,
    events: check.events.map((e) => `${e.atS} ${e.kind} ${e.active ? 'raised' : 'cleared'}`),
    failedAtS: Math.round(check.failedAtS * 10) / 10,
    impactAtS: Math.round(check.impactAtS * 10) / 10,
    heardAfterImpactS: check.heardAfterImpactS,
    rapidDescentDueS: check.rapidDescentDueS,
    qualities: check.qualities,
  };
}
