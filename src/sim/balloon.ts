// The vertical dynamics of a hot-air balloon: what the simulated flights, `npm start` and the desktop
// simulator fly. One state (height, vertical speed, envelope temperature, how much of the envelope
// still holds hot air, ground contact) moved forward in small fixed steps by Newton's second law:
//
//   (m + m_hot + C_a·ρ_air·V)·dv/dt = V·(ρ_air − ρ_hot)·g − m·g − ½·ρ_air·C_d·A·(v − w)·|v − w|
//
//   lift      the envelope's volume V of hot air (density ρ_hot = p/(R·T_envelope)) in cooler air
//   weight    the gross mass m: envelope fabric, basket, burners, fuel and people (not the hot air)
//   drag      quadratic in the speed relative to the vertical wind w, on the envelope's cross-section
//   inertia   the gross mass, the hot air inside (it moves with the balloon) and the air the envelope
//             pushes aside (added mass, C_a = 0.5 for a sphere): about 5 t for 700 kg of balloon,
//             which is why a balloon answers its burner in tens of seconds
//
// The envelope temperature follows its heat balance: the burner heats it, it loses heat to the air
// around it (a cooling time constant), the parachute vent lets hot air out, and the air inside cools
// adiabatically as the balloon rises (g/c_p, 9.8 K per km, against the air's 6.5 K per km).
//
// An envelope failure empties the envelope with a time constant (a tear: a fraction of a second, a
// fall that starts at nearly 1 g; a slow leak: seconds): lift, hot-air inertia and the inflated drag
// area shrink with the air left, down to the collapsed envelope's drag area, which streams above the
// basket and sets the terminal speed (10–30 m/s). Ground or trees stop the basket where they are.
import { AIR_GAS_CONSTANT, AIR_SPECIFIC_HEAT, airAt, GRAVITY, type Air } from './atmosphere';

export interface BalloonSpec {
  /** Envelope volume (m³). 2,800 m³ is a four-to-six-person balloon (about 99,000 ft³). */
  envelopeVolumeM3: number;
  /** Everything but the hot air: envelope fabric, basket, burners, fuel, people (kg). */
  grossMassKg: number;
  /** Drag coefficient of the inflated envelope on its cross-section (a bluff sphere-like body: 0.5). */
  dragCoefficient: number;
  /** Added-mass coefficient: the share of the displaced air that moves with the envelope (sphere: 0.5). */
  addedMassCoefficient: number;
  /** Heat the burner puts into the envelope while it burns (W). */
  burnerPowerW: number;
  /** Time for the envelope's excess temperature to fall to 37 % with no burner and the vent shut (s). */
  coolingTimeS: number;
  /** The same with the parachute vent open: hot air escapes at the top, cool air enters the mouth (s). */
  ventTimeS: number;
  /** Hottest the pilot lets the envelope air get (K): the fabric's limit, about 120 °C. */
  maxEnvelopeK: number;
}

export const DEFAULT_BALLOON: BalloonSpec = {
  envelopeVolumeM3: 2800,
  grossMassKg: 700,
  dragCoefficient: 0.5,
  addedMassCoefficient: 0.5,
  burnerPowerW: 3e6,
  coolingTimeS: 300,
  ventTimeS: 30,
  maxEnvelopeK: 393.15,
};

export interface Controls {
  burner: boolean;
  vent: boolean;
}

export type Contact = 'airborne' | 'ground' | 'trees';

export interface Surroundings {
  /** Vertical wind (m/s, up positive). */
  windMps: number;
  /** Height of the ground under the balloon above the launch site (m). */
  groundM: number;
  /** Trees on that ground (m; 0 for open ground). Trees catch the basket and hold it. */
  treesM: number;
}

/** Step of the integration (s): the fastest dynamics (a tearing envelope, the collapsed envelope's drag) take 0.1–1 s. */
export const MODEL_STEP_S = 0.1;

export class Balloon {
  readonly spec: BalloonSpec;
  /** Launch-site elevation above sea level (m): the atmosphere is evaluated at launch + height. */
  readonly launchElevationM: number;
  readonly qnhPa: number;
  /** Height above the launch site (m). */
  heightM = 0;
  verticalSpeedMps = 0;
  accelerationMps2 = 0;
  envelopeK: number;
  /** Share of the envelope's volume still holding hot air: 1 intact, falls towards 0 after a failure. */
  buoyantFraction = 1;
  contact: Contact = 'ground';
  /** Speed at the last touchdown (m/s, negative downward) and when it happened (s of model time). */
  touchdownSpeedMps = 0;
  touchdownAtS = -1;
  timeS = 0;
  readonly air: Air = { pressurePa: 0, temperatureK: 0, densityKgM3: 0 };
  readonly #crossSectionM2: number;
  #failedDragAreaM2 = 0;
  #failureDecay = 1;

  constructor(spec: BalloonSpec, launchElevationM: number, qnhPa: number) {
    this.spec = spec;
    this.launchElevationM = launchElevationM;
    this.qnhPa = qnhPa;
    const radius = Math.cbrt((3 * spec.envelopeVolumeM3) / (4 * Math.PI));
    this.#crossSectionM2 = Math.PI * radius * radius;
    airAt(launchElevationM, qnhPa, this.air);
    this.envelopeK = this.air.temperatureK; // a cold envelope on the launch field
  }

  get failed(): boolean {
    return this.#failureDecay < 1;
  }

  /** Drag area (C_d·A, m²) now: the inflated envelope's, shrinking to the collapsed one's after a failure. */
  get dragAreaM2(): number {
    const inflated = this.spec.dragCoefficient * this.#crossSectionM2;
    return this.failed ? this.#failedDragAreaM2 + this.buoyantFraction * (inflated - this.#failedDragAreaM2) : inflated;
  }

  /** Lift minus weight (N) at envelope temperature `envelopeK` here and now (for the pilot's sums). */
  netLiftN(envelopeK = this.envelopeK): number {
    const { air, spec } = this;
    const hotDensity = air.pressurePa / (AIR_GAS_CONSTANT * envelopeK);
    return this.buoyantFraction * spec.envelopeVolumeM3 * (air.densityKgM3 - hotDensity) * GRAVITY - spec.grossMassKg * GRAVITY;
  }

  /** Envelope temperature (K) at which lift minus weight is `forceN` here (the pilot's target). */
  envelopeKFor(forceN: number): number {
    const { air, spec } = this;
    const lift = forceN + spec.grossMassKg * GRAVITY;
    const ratio = 1 - lift / (this.buoyantFraction * spec.envelopeVolumeM3 * air.densityKgM3 * GRAVITY);
    return ratio > 0 ? air.temperatureK / ratio : Infinity;
  }

  /** Everything that moves with the balloon (kg): gross mass, hot air, added mass of the displaced air. */
  get inertiaKg(): number {
    const { air, spec } = this;
    const volume = this.buoyantFraction * spec.envelopeVolumeM3;
    const hotDensity = air.pressurePa / (AIR_GAS_CONSTANT * this.envelopeK);
    return spec.grossMassKg + volume * hotDensity + spec.addedMassCoefficient * volume * air.densityKgM3;
  }

  /**
   * The envelope fails now: it empties with time constant `emptyingS`, and the collapsed envelope's
   * drag is such that the balloon falls at `terminalMps` in the air where it fails.
   */
  failEnvelope(emptyingS: number, terminalMps: number): void {
    if (this.failed) return;
    this.#failureDecay = Math.exp(-MODEL_STEP_S / Math.max(emptyingS, MODEL_STEP_S / 20));
    this.#failedDragAreaM2 = (2 * this.spec.grossMassKg * GRAVITY) / (this.air.densityKgM3 * terminalMps * terminalMps);
  }

  /** Moves the balloon one model step forward. */
  step(controls: Controls, around: Surroundings): void {
    const dt = MODEL_STEP_S;
    const spec = this.spec;
    const air = airAt(this.launchElevationM + this.heightM, this.qnhPa, this.air);
    if (this.failed) this.buoyantFraction *= this.#failureDecay;

    // Heat balance of the envelope air (the full envelope's air mass: after a failure it no longer matters).
    const hotMassKg = spec.envelopeVolumeM3 * (air.pressurePa / (AIR_GAS_CONSTANT * this.envelopeK));
    const excessK = this.envelopeK - air.temperatureK;
    let dTdt = -excessK / spec.coolingTimeS - (GRAVITY / AIR_SPECIFIC_HEAT) * this.verticalSpeedMps;
    if (controls.burner && this.envelopeK < spec.maxEnvelopeK) dTdt += spec.burnerPowerW / (hotMassKg * AIR_SPECIFIC_HEAT);
    if (controls.vent) dTdt -= excessK / spec.ventTimeS;
    this.envelopeK += dTdt * dt;

    const relative = this.verticalSpeedMps - around.windMps;
    const dragN = -0.5 * air.densityKgM3 * this.dragAreaM2 * relative * Math.abs(relative);
    const acceleration = (this.netLiftN() + dragN) / this.inertiaKg;
    const contactM = around.groundM + around.treesM;
    this.timeS += dt;

    if (this.contact !== 'airborne') {
      // Resting on the ground or caught in trees: only a lift greater than the weight takes it off the
      // ground; trees hold the basket whatever happens.
      if (this.contact === 'ground' && acceleration > 0) this.contact = 'airborne';
      else {
        this.heightM = Math.max(this.heightM, contactM);
        this.verticalSpeedMps = 0;
        this.accelerationMps2 = 0;
        return;
      }
    }
    this.accelerationMps2 = acceleration;
    this.verticalSpeedMps += acceleration * dt;
    this.heightM += this.verticalSpeedMps * dt;
    if (this.heightM <= contactM && this.verticalSpeedMps <= 0) {
      this.touchdownSpeedMps = this.verticalSpeedMps;
      this.touchdownAtS = this.timeS;
      this.heightM = contactM;
      this.verticalSpeedMps = 0;
      this.contact = around.treesM > 0 ? 'trees' : 'ground';
    }
  }
}
