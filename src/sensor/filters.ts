// The first guard between the chip and the estimate: readings outside what a balloon can meet are
// not air at all (a chip or bus failure). Whether a reading in range is plausible for the balloon's
// motion is the vertical estimator's question (vertical-estimator.ts), answered from physics.

export interface PlausibilityLimits {
  /** Pressures outside [min, max] are not air a balloon flies in (defaults: 25–110 kPa, i.e. up to ~10 km). */
  minPressurePa: number;
  maxPressurePa: number;
  minTemperatureC: number;
  maxTemperatureC: number;
}

export const DEFAULT_LIMITS: PlausibilityLimits = {
  minPressurePa: 25_000,
  maxPressurePa: 110_000,
  minTemperatureC: -60,
  maxTemperatureC: 85,
};

export type Plausibility = 'ok' | 'out-of-range';

export function checkRange(pressurePa: number, temperatureC: number, limits: PlausibilityLimits): Plausibility {
  const inRange =
    pressurePa >= limits.minPressurePa && pressurePa <= limits.maxPressurePa && temperatureC >= limits.minTemperatureC && temperatureC <= limits.maxTemperatureC;
  return inRange ? 'ok' : 'out-of-range';
}
