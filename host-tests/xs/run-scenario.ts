// Runs a scenario module (TypeScript that imports core modules and exports functions) on the real
// XS engine, and the same module on Node, so a suite can compare the two. The module is bundled with
// esbuild for a neutral platform: an import of node:* or of an npm package cannot be resolved, and a
// Node-only global (Buffer, process, …) is an undefined variable on XS. Both are reported clearly.
import { build, type Plugin } from 'esbuild';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { XsMachine, XS_SLOT_BYTES, type XsMeter } from './xs-machine';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export class XsScenarioError extends Error {
  readonly code: 'NODE_ONLY_IMPORT' | 'NODE_ONLY_GLOBAL' | 'SCENARIO_THREW' | 'BUNDLE_FAILED';
  constructor(code: XsScenarioError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

const NODE_ONLY_GLOBALS = ['Buffer', 'process', 'require', '__dirname', '__filename', 'setImmediate', 'global'];

const bundleCache = new Map<string, Promise<string>>();

/**
 * Bare module names resolved to files, for code written for another runtime: the benchmark loads
 * Moddable's own MQTT client from the SDK and gives its `socket`/`timer` imports small stand-ins.
 */
export type ModuleMap = Record<string, string>;

/** Bundles `entry` into one script for XS; its exports become callable by name. */
export function bundleForXs(entry: string, modules: ModuleMap = {}): Promise<string> {
  const absolute = path.resolve(entry);
  const key = `${absolute}\n${JSON.stringify(modules)}`;
  let bundle = bundleCache.get(key);
  if (!bundle) {
    bundle = bundleUncached(absolute, modules);
    bundleCache.set(key, bundle);
  }
  return bundle;
}

function moduleMapPlugin(modules: ModuleMap): Plugin {
  const names = Object.keys(modules);
  const escaped = names.map((name) => name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  return {
    name: 'module-map',
    setup(build) {
      if (names.length === 0) return;
      build.onResolve({ filter: new RegExp(`^(${escaped.join('|')})$`) }, (args) => ({ path: path.resolve(modules[args.path]) }));
    },
  };
}

async function bundleUncached(entry: string, modules: ModuleMap): Promise<string> {
  const prelude = `
import * as scenario from ${JSON.stringify(entry)};
const describe = (e) => ({ name: e?.name ?? 'Error', message: String(e?.message ?? e), code: e?.code ?? null });
globalThis.__xs = {
  outcome: undefined,
  call(name, args) {
    let value;
    try { value = scenario[name](...args); }
    catch (e) { this.outcome = { ok: false, error: describe(e) }; return; }
    Promise.resolve(value).then(
      (v) => { this.outcome = { ok: true, value: v === undefined ? null : v }; },
      (e) => { this.outcome = { ok: false, error: describe(e) }; });
  },
  repeat(name, times) { const step = scenario[name]; for (let i = 0; i < times; i++) step(i); },
  // A canary for garbage collections: an object only a WeakRef holds, made right after a gc(). It is
  // gone after a later evaluation only if a collection ran in between.
  arm() { gc(); this.canary = new WeakRef({}); },
  collected() { return new TextEncoder().encode(String(this.canary.deref() === undefined)).buffer; },
  take() {
    const outcome = this.outcome ?? { ok: false, error: { name: 'Error', message: 'the scenario never settled (a promise that never resolved?)', code: null } };
    this.outcome = undefined;
    return new TextEncoder().encode(JSON.stringify(outcome)).buffer;
  },
};`;
  try {
    const result = await build({
      stdin: { contents: prelude, resolveDir: path.dirname(entry), sourcefile: 'xs-prelude.js', loader: 'js' },
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'neutral',
      target: 'es2022',
      logLevel: 'silent',
      plugins: [moduleMapPlugin(modules)],
    });
    return result.outputFiles[0].text;
  } catch (error) {
    const errors = (error as { errors?: { text: string }[] }).errors ?? [];
    const nodeImport = errors.map((e) => /Could not resolve "([^"]+)"/.exec(e.text)?.[1]).find(Boolean);
    if (nodeImport) {
      throw new XsScenarioError(
        'NODE_ONLY_IMPORT',
        `${path.basename(entry)} imports "${nodeImport}", which does not exist on XS: core code may import only other core modules`,
      );
    }
    throw new XsScenarioError('BUNDLE_FAILED', `could not bundle ${entry} for XS: ${errors.map((e) => e.text).join('; ')}`);
  }
}

function explain(error: { name: string; message: string; code: string | null }): XsScenarioError {
  const nodeGlobal = NODE_ONLY_GLOBALS.find((name) => new RegExp(`\\b${name}: undefined variable`).test(error.message));
  if (nodeGlobal) {
    return new XsScenarioError(
      'NODE_ONLY_GLOBAL',
      `the scenario uses ${nodeGlobal}, a Node-only global that does not exist on XS (XS said: ${error.message})`,
    );
  }
  const thrown = new XsScenarioError('SCENARIO_THREW', `on XS: ${error.name}: ${error.message}`);
  (thrown as { thrownCode?: string | null }).thrownCode = error.code;
  return thrown;
}

async function takeOutcome(machine: XsMachine): Promise<Json> {
  const { reply } = await machine.evaluate('__xs.take()');
  const outcome = JSON.parse(new TextDecoder().decode(reply)) as
    | { ok: true; value: Json }
    | { ok: false; error: { name: string; message: string; code: string | null } };
  if (!outcome.ok) throw explain(outcome.error);
  return outcome.value;
}

export interface XsRun {
  value: Json;
  meter: XsMeter;
  printed: string[];
}

/** Loads `entry` on a fresh XS machine, calls its export `name` with JSON arguments, and returns what it returned. */
export async function runOnXs(entry: string, name = 'default', args: Json[] = [], modules: ModuleMap = {}): Promise<XsRun> {
  const script = await bundleForXs(entry, modules);
  const machine = XsMachine.start();
  try {
    await machine.evaluate(script);
    const { meter } = await machine.evaluate(`__xs.call(${JSON.stringify(name)}, ${JSON.stringify(args)})`);
    const value = await takeOutcome(machine);
    return { value, meter, printed: machine.printed };
  } finally {
    await machine.close();
  }
}

/** Calls the same export on Node, for comparison with runOnXs. */
export async function runOnNode(entry: string, name = 'default', args: Json[] = []): Promise<Json> {
  const module = (await import(pathToFileURL(path.resolve(entry)).href)) as Record<string, (...a: Json[]) => unknown>;
  const value = await module[name](...args);
  return JSON.parse(JSON.stringify(value ?? null)) as Json;
}

export interface SteadyState {
  iterations: number;
  computronsPerStep: number;
  /** Heap slots allocated per step: 0 means the step allocates no objects at all. */
  slotsPerStep: number;
  bytesPerStep: number;
}

export class XsMeasurementError extends Error {
  readonly code = 'XS_MEASUREMENT';
}

const MIN_ITERATIONS = 10;

/**
 * Measures a hot path on XS: calls `setup`, runs `step` `warmup` times, collects garbage, then runs
 * `step` `iterations` times in one evaluation. XS counts every slot it hands out between two
 * collections, so the growth of the live-slot count over the measured run is what the steps allocated.
 * (String and ArrayBuffer bodies live in chunks, which this does not count; their handles are slots.)
 *
 * A garbage collection inside the measured run would free slots and make the growth read low (even
 * zero or negative), so each run carries a canary that only a collection removes. When it is gone
 * the figure is thrown away and the run repeated with half the iterations; when even
 * ${MIN_ITERATIONS} steps cannot run without a collection, this fails rather than report a number.
 */
export async function measureSteadyStateOnXs(
  entry: string,
  options: { setup?: string; step?: string; setupArgs?: Json[]; warmup?: number; iterations?: number; modules?: ModuleMap } = {},
): Promise<SteadyState> {
  const { setup = 'setup', step = 'step', setupArgs = [], warmup = 50, modules = {} } = options;
  const script = await bundleForXs(entry, modules);
  const machine = XsMachine.start();
  try {
    await machine.evaluate(script);
    await machine.evaluate(`__xs.call(${JSON.stringify(setup)}, ${JSON.stringify(setupArgs)})`);
    await takeOutcome(machine);
    await machine.evaluate(`__xs.repeat(${JSON.stringify(step)}, ${warmup}); gc();`);
    /** Slots the evaluation of `times` steps added, or undefined when a collection ran meanwhile. */
    const grow = async (times: number) => {
      const start = await machine.evaluate('__xs.arm();');
      const end = await machine.evaluate(`__xs.repeat(${JSON.stringify(step)}, ${times});`);
      const collected = new TextDecoder().decode((await machine.evaluate('__xs.collected()')).reply) === 'true';
      return collected ? undefined : { slots: end.meter.heapSlots - start.meter.heapSlots, computrons: end.meter.computrons };
    };
    // The evaluation itself (parsing the call) takes a few slots: measure that with zero steps first.
    const baseline = await grow(0);
    if (!baseline) throw new XsMeasurementError('a garbage collection ran while measuring an empty evaluation');
    for (let iterations = options.iterations ?? 200; iterations >= MIN_ITERATIONS; iterations = Math.floor(iterations / 2)) {
      const measured = await grow(iterations);
      if (!measured) continue; // a collection inside the window: this figure would read low
      const slots = (measured.slots - baseline.slots) / iterations;
      if (slots < 0) throw new XsMeasurementError(`${step} freed ${-slots} slots per step without a garbage collection: the heap count cannot be trusted`);
      return { iterations, computronsPerStep: Math.round(measured.computrons / iterations), slotsPerStep: slots, bytesPerStep: slots * XS_SLOT_BYTES };
    }
    throw new XsMeasurementError(
      `a garbage collection ran inside every measured window of ${step} (down to ${MIN_ITERATIONS} steps): no figure is reported rather than one that reads low`,
    );
  } finally {
    await machine.close();
  }
}

export interface RoundsRun {
  value: Json;
  /** Live heap slots after a garbage collection at the end of each round. */
  heapSlots: number[];
  computrons: number;
}

/**
 * A long run on XS in rounds, to see whether the heap stays flat: calls `setup` with `setupArgs`,
 * then `rounds` times runs `step` `perRound` times and collects garbage, recording the live heap
 * slots; then returns what `report` returns.
 */
export async function runRoundsOnXs(
  entry: string,
  options: { setup?: string; setupArgs?: Json[]; step?: string; report?: string; rounds: number; perRound: number },
): Promise<RoundsRun> {
  const { setup = 'setup', setupArgs = [], step = 'step', report = 'report', rounds, perRound } = options;
  const script = await bundleForXs(entry);
  const machine = XsMachine.start();
  try {
    await machine.evaluate(script);
    await machine.evaluate(`__xs.call(${JSON.stringify(setup)}, ${JSON.stringify(setupArgs)})`);
    await takeOutcome(machine);
    const heapSlots: number[] = [];
    let computrons = 0;
    for (let round = 0; round < rounds; round++) {
      computrons += (await machine.evaluate(`__xs.repeat(${JSON.stringify(step)}, ${perRound});`)).meter.computrons;
      heapSlots.push((await machine.evaluate('gc();')).meter.heapSlots);
    }
    await machine.evaluate(`__xs.call(${JSON.stringify(report)}, [])`);
    return { value: await takeOutcome(machine), heapSlots, computrons };
  } finally {
    await machine.close();
  }
}
