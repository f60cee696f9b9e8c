// The ESP32 board's barometer: whichever supported chip the probe finds on the I2C pins of the config.
import type { Clock } from "ports";
import type { Barometer, ChipName } from "sensor/barometer";
import { probeBarometer } from "sensor/probe";
import type { BoardConfig } from "platform/moddable/board-config";
import { moddableSensorIo } from "board/sensor-io";

export function createBarometerOpener(config: BoardConfig, clock: Clock): () => Barometer {
  const io = moddableSensorIo({ data: Number(config.i2cSda ?? 21), clock: Number(config.i2cScl ?? 22), hz: Number(config.i2cHz ?? 400_000) }, clock);
  return () => probeBarometer(io, { chip: (config.sensorChip ?? "auto") as ChipName | "auto" });
}
