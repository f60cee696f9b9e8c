// The flight phase a pilot would name, from what telemetry carries (altitude and vertical speed;
// the node does not send a phase). Thresholds have a little hysteresis so a balloon floating with a
// gentle oscillation reads "level", not "climbing, descending, climbing".
export type FlightPhase = 'on the ground' | 'climbing' | 'level' | 'descending' | 'rapid descent' | 'no reading';

/** Below this height (m above the reference) and this slow, the balloon is on the ground. */
const GROUND_M = 15;
const STILL_MPS = 0.3;
/** Climbing/descending starts beyond ENTER and ends inside LEAVE (m/s). */
const ENTER_MPS = 0.5;
const LEAVE_MPS = 0.25;
/** A descent this fast is named apart (the node's rapid-descent default is 6 m/s). */
const RAPID_MPS = 6;

export function flightPhase(altitudeM: number, verticalSpeedMps: number, previous: FlightPhase): FlightPhase {
  if (altitudeM !== altitudeM || verticalSpeedMps !== verticalSpeedMps) return 'no reading';
  if (verticalSpeedMps <= -RAPID_MPS) return 'rapid descent';
  if (altitudeM < GROUND_M && Math.abs(verticalSpeedMps) < STILL_MPS) return 'on the ground';
  const wasMoving = previous === 'climbing' || previous === 'descending' || previous === 'rapid descent';
  const threshold = wasMoving ? LEAVE_MPS : ENTER_MPS;
  if (verticalSpeedMps > threshold) return 'climbing';
  if (verticalSpeedMps < -threshold) return 'descending';
  return 'level';
}
