// Sensor faults: every way a barometer reading can be wrong, as a code a program can act on and a
// message a person can.
import { CodedError } from '../coded-error';

export type SensorFaultCode =
  | 'NACK' // the chip did not acknowledge its address (unplugged, wrong address, brown-out)
  | 'TIMEOUT' // the bus hung (a chip holding SDA low)
  | 'NOT_FOUND' // no known barometer answered at any address
  | 'WRONG_CHIP' // something answered, but not the chip this driver is for
  | 'BAD_CALIBRATION' // calibration data missing, uniform or failing its CRC
  | 'NO_MEASUREMENT' // the chip reported its reset value 0x80000: no conversion since reset
  | 'ALL_ONES' // every data byte 0xFF
  | 'ALL_ZEROS' // every data byte 0x00
  | 'CHIP_RESET' // the chip lost its configuration (it reset in flight)
  | 'STUCK' // the raw reading has not changed for too long: a real sensor always has noise
  | 'IMPOSSIBLE' // a value outside what the chip can measure
  | 'NOT_READY' // no conversion finished yet
  | 'UNEXPECTED'; // the driver or the filter threw something that is not a SensorFault (a bug): logged, handled as a fault

export class SensorFault extends CodedError<SensorFaultCode> {
  constructor(code: SensorFaultCode, message: string) {
    super('SensorFault', code, message);
  }

  /** Wraps an error thrown by the I2C port (code "NACK" or "TIMEOUT"; anything else counts as NACK). */
  static fromBus(error: unknown, doing: string): SensorFault {
    const code = (error as { code?: string } | undefined)?.code === 'TIMEOUT' ? 'TIMEOUT' : 'NACK';
    const detail = error instanceof Error ? error.message : String(error);
    return new SensorFault(code, `${doing}: ${code === 'TIMEOUT' ? 'the I2C bus timed out' : 'no acknowledge'} (${detail})`);
  }
}
