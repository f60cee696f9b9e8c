// The air the simulated balloon flies in: the ICAO standard atmosphere's troposphere (as in
// src/sensor/altitude.ts, which turns pressure back into altitude) with the day's sea-level pressure.
// Density comes from the ideal-gas law; the envelope's lift is the difference between the density of
// this air and that of the hotter air inside.
import { pressureAtAltitudePa, STANDARD_PRESSURE_PA } from '../sensor/altitude';

/** Specific gas constant of dry air (J/(kg·K)). */
export const AIR_GAS_CONSTANT = 287.053;
/** Specific heat of air at constant pressure (J/(kg·K)). */
export const AIR_SPECIFIC_HEAT = 1005;
/** Standard gravity (m/s²). */
export const GRAVITY = 9.80665;

const SEA_LEVEL_K = 288.15;
const LAPSE_K_PER_M = 0.0065;

export interface Air {
  pressurePa: number;
  temperatureK: number;
  densityKgM3: number;
}

/** The air at `altitudeM` above sea level (written into `into`, which is returned: nothing allocated). */
export function airAt(altitudeM: number, qnhPa = STANDARD_PRESSURE_PA, into: Air = { pressurePa: 0, temperatureK: 0, densityKgM3: 0 }): Air {
  into.temperatureK = SEA_LEVEL_K - LAPSE_K_PER_M * altitudeM;
  into.pressurePa = pressureAtAltitudePa(altitudeM, qnhPa);
  into.densityKgM3 = into.pressurePa / (AIR_GAS_CONSTANT * into.temperatureK);
  return into;
}
