// The error every emulated flash throws when the power goes in the middle of an operation, and for
// every call after until the device is powered again.
export class PowerLoss extends Error {
  readonly code = 'POWER_LOSS';
}
