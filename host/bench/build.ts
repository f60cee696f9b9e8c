// npm run bench (build part): cold firmware builds, each from an empty build directory with the SDK's
// host tools already built: the desktop simulator firmware (`-p lin`, C compile and link included) and
// the XS stage of the ESP32 build (every module compiled by xsc and linked by xsl into mc.xs.c).
// Ours transpiles TypeScript (host/moddable/transpile.js); the reference is the same build the way
// the SDK does it by default, one type-checking `tsc` per module. The one type-check our builds rely
// on instead (tsc -p tsconfig.device.json, run by npm test and before the CLI builds) is its own row.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildEsp32XsStage, buildForSimulator, typecheckFirmware, type BuildOptions } from '../moddable/build';
import { locateModdableSdk, type ModdableSdk } from '../moddable/sdk';
import { printTable, type Row } from './report';

const GOAL = '≤ 30 s';

async function seconds(work: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** One cold build in a fresh directory, removed afterwards. */
async function coldBuild(sdk: ModdableSdk, target: 'sim' | 'esp32', options: BuildOptions): Promise<number> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `altimeter-bench-build-${target}-`));
  try {
    return await seconds(() => (target === 'sim' ? buildForSimulator(sdk, dir, options) : buildEsp32XsStage(sdk, dir, options)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchBuild(options: { reference?: boolean } = {}): Promise<Row[]> {
  const sdk = await locateModdableSdk((line) => process.stderr.write(`${line}\n`));
  const loadBefore = os.loadavg()[0];
  const withReference = options.reference ?? true;
  const rows: Row[] = [];
  for (const [target, name] of [
    ['sim', 'simulator firmware (mc.so), cold'],
    ['esp32', 'ESP32 XS stage (mc.xs.c), cold'],
  ] as const) {
    const ours = await coldBuild(sdk, target, {});
    const reference = withReference ? await coldBuild(sdk, target, { typescript: 'sdk-tsc' }) : undefined;
    rows.push({ name, ours, reference, unit: 's', better: 'lower', goal: GOAL });
  }
  rows.push({ name: 'type-check of the firmware, once (tsc)', ours: await seconds(typecheckFirmware), reference: undefined, unit: 's', better: 'lower' });
  printTable(
    `Firmware builds (reference: ${withReference ? "the SDK's default, one type-checking tsc per module" : 'not measured (--no-build-reference)'}; ${os.cpus().length} cores, load average ${loadBefore.toFixed(1)} before, ${os.loadavg()[0].toFixed(1)} after)`,
    rows,
  );
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchBuild();
}
