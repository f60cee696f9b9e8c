// What a board with a display shows of the node (the simulator's status screen and pane readout);
// main.ts hands it over after every reading. A screenless board (the ESP32 dev board) shows nothing.
import type { AltitudeReading } from "sensor/altimeter";

/** The broker link as a person reads it. */
export type LinkState = "connected" | "connecting" | "network down";

export interface NodeStatus {
  reading: AltitudeReading;
  /** Kinds of the emergencies active now, e.g. ["rapid-descent"]. */
  emergencies: readonly string[];
  link: LinkState;
  /** Messages waiting in the outbox, and telemetry dropped from it because it was full. */
  outbox: number;
  dropped: number;
}

export interface DeviceIdentity {
  id: string;
  firmwareVersion: string;
  /** host:port of the broker the node connects to. */
  broker: string;
}

export interface StatusDisplay {
  show(status: NodeStatus): void;
}
