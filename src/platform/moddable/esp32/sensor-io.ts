// The sensor port over ECMA-419 I2C (embedded:io/i2c) and Timer.delay. The ECMA-419 I2C class
// throws a plain Error when a transfer fails; we tag it "NACK" so drivers report it as such.
import I2C from "embedded:io/i2c";
import Timer from "timer";
import type { Clock, I2cDevice, SensorIo } from "ports";

export interface I2cPins {
  data: number;
  clock: number;
  hz: number;
  port?: number;
}

function tagged(error: unknown): Error {
  const wrapped = error instanceof Error ? error : new Error(String(error));
  (wrapped as Error & { code: string }).code = /timeout/i.test(wrapped.message) ? "TIMEOUT" : "NACK";
  return wrapped;
}

export function moddableSensorIo(pins: I2cPins, clock: Clock): SensorIo {
  return {
    clock,
    delayMs: (ms) => Timer.delay(ms),
    i2c(address): I2cDevice {
      const bus = new I2C({ data: pins.data, clock: pins.clock, hz: pins.hz, address, ...(pins.port === undefined ? {} : { port: pins.port }) });
      return {
        read(buffer) {
          try {
            bus.read(buffer);
          } catch (error) {
            throw tagged(error);
          }
        },
        write(bytes, stop = true) {
          try {
            bus.write(bytes, stop);
          } catch (error) {
            throw tagged(error);
          }
        },
        close: () => (bus as unknown as { close(): void }).close(),
      };
    },
  };
}
