// What a hot-air balloon can and cannot do, for the estimator (is this reading possible?) and the
// emergency rules (could a pilot have done this?). The figures come from the balloon's physics (see
// src/sim/balloon.ts, which reproduces them): a 2,800 m³ envelope, 500–800 kg, a 3 MW burner.

/** Standard gravity (m/s²): nothing falls faster than free fall from where it was. */
export const STANDARD_GRAVITY = 9.80665;

/**
 * The most a balloon's own lift can change its vertical speed (m/s²), up or, burning against a
 * descent, as a deceleration. Heating the envelope from its float temperature (~90 °C) to the
 * fabric's limit (~120 °C) adds about 2 kN of lift; the balloon, the hot air it carries and the air
 * it pushes aside weigh about 5 t: 0.4 m/s². A stronger change of speed is a collision (the ground,
 * trees), or a failing envelope, which can only pull downward, at up to 1 g.
 */
export const MAX_LIFT_ACCELERATION_MPS2 = 0.5;
