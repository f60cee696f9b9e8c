// Runs the altitude Kalman filter over a known true trajectory plus Gaussian measurement noise and
// measures how close it stays. Core-compatible; shared by the sensor suite and the benchmarks.
import { AltitudeKalman, type KalmanOptions } from '../../src/sensor/kalman';
import { SimulatedFlight, type FlightScenario } from '../../src/sensor/simulated';

export interface FilterScore {
  rmsAltitudeErrorM: number;
  rmsVerticalSpeedErrorMps: number;
  rawNoiseM: number;
}

/** Deterministic Gaussian noise (xorshift32 + Box–Muller). */
export function noiseSource(seed = 12345): () => number {
  let s = seed;
  const uniform = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

export function scoreOnFlight(scenario: FlightScenario, options: KalmanOptions, rateHz = 1, seed = 7): FilterScore {
  const flight = new SimulatedFlight(scenario, 0);
  const kalman = new AltitudeKalman(options);
  const noise = noiseSource(seed);
  let altitudeSq = 0;
  let speedSq = 0;
  let n = 0;
  const endS = Math.min(flight.flightDurationS + 60, 5000);
  for (let t = 0; t <= endS; t += 1 / rateHz) {
    const truth = flight.at(t * 1000);
    kalman.predict(t === 0 ? 0 : 1 / rateHz);
    kalman.update(truth.altitudeM + options.measurementNoiseM * noise());
    if (t < 30) continue; // let the filter converge
    altitudeSq += (kalman.altitudeM - truth.altitudeM) ** 2;
    speedSq += (kalman.verticalSpeedMps - truth.verticalSpeedMps) ** 2;
    n++;
  }
  return { rmsAltitudeErrorM: Math.sqrt(altitudeSq / n), rmsVerticalSpeedErrorMps: Math.sqrt(speedSq / n), rawNoiseM: options.measurementNoiseM };
}

/**
 * Lag at a step change: the climb rate jumps from 0 to `stepMps` at t = 60 s. Returns the seconds the
 * estimated vertical speed takes to reach 63 % (one time constant) of the step.
 */
export function stepLagS(options: KalmanOptions, stepMps = 3, rateHz = 1, seed = 3): number {
  const kalman = new AltitudeKalman(options);
  const noise = noiseSource(seed);
  const dt = 1 / rateHz;
  for (let t = 0; t < 300; t += dt) {
    const truth = t < 60 ? 0 : stepMps * (t - 60);
    kalman.predict(t === 0 ? 0 : dt);
    kalman.update(truth + options.measurementNoiseM * noise());
    if (t >= 60 && kalman.verticalSpeedMps >= 0.63 * stepMps) return t - 60;
  }
  return Infinity;
}
