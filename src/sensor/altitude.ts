// Pressure → altitude with the international barometric formula: the ICAO Standard Atmosphere's
// troposphere (0–11,000 m), where temperature falls 6.5 K per km from 15 °C. With the standard sea
// level pressure as reference it reproduces the ICAO table (see host-tests/sensor/altitude.test.ts);
// with a QNH it gives altitude above sea level; with the launch-site pressure ("zero"), height above
// the launch site. The altitude is geopotential; geometric altitude is at most 19 m higher at 11 km.

export const STANDARD_PRESSURE_PA = 101_325;
const T0_K = 288.15; // sea-level temperature
const LAPSE_K_PER_M = 0.0065;
/** g·M/(R·L) for dry air: the exponent of the pressure ratio is its reciprocal, 0.190263. */
const EXPONENT = 5.255_876;

export function altitudeM(pressurePa: number, referencePa = STANDARD_PRESSURE_PA): number {
  return (T0_K / LAPSE_K_PER_M) * (1 - Math.pow(pressurePa / referencePa, 1 / EXPONENT));
}

export function pressureAtAltitudePa(altitude: number, referencePa = STANDARD_PRESSURE_PA): number {
  return referencePa * Math.pow(1 - (LAPSE_K_PER_M * altitude) / T0_K, EXPONENT);
}

/** The sea-level pressure (QNH) that makes `pressurePa` read as `knownAltitudeM`. */
export function qnhFor(pressurePa: number, knownAltitudeM: number): number {
  return pressurePa / Math.pow(1 - (LAPSE_K_PER_M * knownAltitudeM) / T0_K, EXPONENT);
}
