// Reads the XS engine's memory figures (the SDK's instrumentation module: the slot heap, the chunk
// heap, keys and stack in use) every `everyMs` of the node's clock and traces one line:
//   memory slot=<bytes> chunk=<bytes> keys=<count> stack=<bytes> gc=<count> outbox=<messages>
// The device-memory benchmark (host/bench/device-memory.ts) reads these from the simulator, built
// with the ESP32's XS creation values, through a flight with a broker outage.
import Instrumentation from "instrumentation";
import type { Clock, Log } from "ports";

const FIGURES = ["XS Slot Heap Used", "XS Chunk Heap Used", "XS Keys Used", "XS Stack Used", "XS Garbage Collection Count"] as const;

export function startMemoryTrace(clock: Clock, everyMs: number, outboxSize: () => number, log: Log): void {
  const ids = FIGURES.map((name) => (Instrumentation as unknown as { map(name: string): number }).map(name));
  const get = (index: number) => (Instrumentation as unknown as { get(id: number): number | undefined }).get(ids[index]) ?? -1;
  const read = () => log(`memory slot=${get(0)} chunk=${get(1)} keys=${get(2)} stack=${get(3)} gc=${get(4)} outbox=${outboxSize()}`);
  read();
  clock.setRepeatingTimer(read, everyMs);
}
