// A sensor node on the Node adapters (real TCP to a real broker) with a simulated flight on a
// virtual clock: the test decides how fast time passes, the sockets are real.
import { SensorNode, type NodeOptions } from '../../src/app/node';
import { DEFAULT_CONFIG, type NodeConfig } from '../../src/app/config';
import { nodeSocketFactory } from '../../src/platform/node/socket';
import { flyScenario, type ScenarioName } from '../../src/sim/scenarios';
import type { SimulatedBarometer } from '../../src/sim/simulated-barometer';
import { MemoryStore } from '../fakes/memory-store';
import { NorFlashChip } from '../fakes/moddable/flash-module';
import type { FlashArea } from '../../src/ports';
import { VirtualClock } from '../fakes/virtual-clock';

export interface NodeRig {
  node: SensorNode;
  clock: VirtualClock;
  store: MemoryStore;
  /** The outbox's flash partition (emulated): pass it to the next rig to restart the same device. */
  flash: FlashArea;
  barometer: SimulatedBarometer;
  log: string[];
  /** Advances virtual time by `seconds`, one sample per second, letting real I/O run between. */
  fly(seconds: number): Promise<void>;
  reboots: number;
}

export const settle = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));

export interface NodeRigOptions {
  scenario?: ScenarioName;
  config?: Partial<NodeConfig>;
  store?: MemoryStore;
  flash?: FlashArea;
  clock?: VirtualClock;
  overrides?: Partial<NodeOptions>;
}

export function nodeRig(port: number, options: NodeRigOptions = {}): NodeRig {
  const clock = options.clock ?? new VirtualClock();
  const store = options.store ?? new MemoryStore();
  const flash = options.flash ?? new NorFlashChip({ outbox: 256 * 1024 }).open('outbox');
  const { barometer } = flyScenario(options.scenario ?? 'normal', clock, { launchElevationM: 0 });
  const log: string[] = [];
  const rig: NodeRig = {
    clock,
    store,
    flash,
    barometer,
    log,
    reboots: 0,
    node: undefined as unknown as SensorNode,
    async fly(seconds) {
      for (let i = 0; i < seconds; i++) {
        clock.advance(1000);
        await settle(1);
      }
      await settle(20);
    },
  };
  rig.node = new SensorNode({
    broker: { host: '127.0.0.1', port },
    clock,
    socket: nodeSocketFactory,
    store,
    outboxFlash: flash,
    openBarometer: () => barometer,
    system: { firmwareVersion: '0.1.0', board: 'test', resetReason: 'power-on', reboot: () => rig.reboots++ },
    defaults: { ...DEFAULT_CONFIG, ...options.config },
    log: (line) => log.push(line),
    ...options.overrides,
  });
  return rig;
}
