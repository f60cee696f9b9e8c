// npm run bench:device (also part of npm run bench): the firmware's memory on the ESP32's terms.
//
// The firmware runs in the Moddable desktop simulator with the ESP32 build's XS creation values
// (checked: the CREATION line mcconfig writes for -p esp32 equals the one it writes for -p lin),
// flies a 2-hour flight 60 times faster than real time, and traces the XS memory instrumentation
// once a simulated minute (src/platform/moddable/memory-trace.ts). The broker is down for 10
// simulated minutes in the middle, so the outbox fills. Reported: the high-water marks of the slot
// heap and the chunk heap, and what each waiting outbox record costs; from those, the largest
// outboxSize the device can hold in the XS memory it has, beside the limit config.ts enforces.
//
// The simulator is a 64-bit process: an XS slot is 32 bytes there and 16 on the ESP32, so slot
// figures are given as slot counts and as ESP32 bytes (×16). Chunks (strings, buffers, byte code)
// have the same size on both, give or take alignment.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { OUTBOX_MAX } from '../../src/app/config';
import { startMosquitto } from '../../host-tests/support/mosquitto';
import { appName, buildForSimulator } from '../moddable/build';
import { locateModdableSdk, projectRoot } from '../moddable/sdk';
import { SimulatedDevice } from '../moddable/sim-device';
import { printTable, type Row } from './report';

const run = promisify(execFile);

const SPEED = 60;
const FLIGHT_MIN = 120;
const OUTAGE_FROM_MIN = 30;
const OUTAGE_MIN = 10;
const SLOT_BYTES_ESP32 = 16;
const SLOT_BYTES_SIM = 32;
/**
 * What XS may take on an ESP32 (no PSRAM) beyond the firmware's steady state: the assumption the
 * derived outbox limit rests on. ESP-IDF with Wi-Fi and lwIP started leaves about 160 KB of heap;
 * the TLS handshake needs about 40 KB of it at times, the Wi-Fi driver's buffers grow under load,
 * and the firmware's own steady state (measured below) comes first. Unproven without hardware.
 */
export const ESP32_OUTBOX_BUDGET_BYTES = 48 * 1024;

interface Sample {
  slotBytes: number;
  chunkBytes: number;
  outbox: number;
}

/** The XS creation line (-c chunk,…,stack,keys…) mcconfig generates for a platform. */
async function creationLine(sdk: Awaited<ReturnType<typeof locateModdableSdk>>, platform: 'esp32' | 'lin', outDir: string): Promise<string> {
  const manifest = path.join(projectRoot, 'manifest.json');
  mkdirSync(outDir, { recursive: true });
  await run('mcconfig', ['-d', '-p', platform, '-o', outDir, manifest], { env: sdk.env, cwd: projectRoot, maxBuffer: 64 * 1024 * 1024 });
  const makefile = readFileSync(path.join(outDir, platform === 'lin' ? 'tmp/lin/mc/debug' : 'tmp/esp32/debug', appName(), 'makefile'), 'utf8');
  const line = /^CREATION = (.*)$/m.exec(makefile)?.[1];
  if (!line) throw new Error(`no CREATION line in the ${platform} makefile`);
  return line;
}

export async function benchDeviceMemory(): Promise<Row[]> {
  const sdk = await locateModdableSdk((line) => process.stderr.write(`${line}\n`));
  const work = mkdtempSync(path.join(os.tmpdir(), 'altimeter-memory-'));
  const broker = await startMosquitto();
  try {
    const esp32Creation = await creationLine(sdk, 'esp32', path.join(work, 'esp32'));
    const simCreation = await creationLine(sdk, 'lin', path.join(work, 'lin'));
    if (esp32Creation !== simCreation) throw new Error(`the simulator's XS creation (${simCreation}) differs from the ESP32's (${esp32Creation})`);
    const mcSo = await buildForSimulator(sdk, path.join(projectRoot, 'build/bench-memory'), {
      config: { deviceId: 'memory', brokerPort: broker.port, simSpeed: SPEED, memoryTraceS: 60 },
    });
    const device = SimulatedDevice.flash(path.join(work, 'flash'), mcSo);
    const sim = device.powerOn(sdk, { headless: true });
    const realMs = (minutes: number) => (minutes * 60_000) / SPEED;
    await sim.waitForTrace(/^connected to/);
    const startedAt = Date.now();
    await new Promise((r) => setTimeout(r, realMs(OUTAGE_FROM_MIN)));
    await broker.stop();
    await new Promise((r) => setTimeout(r, realMs(OUTAGE_MIN)));
    await broker.restart();
    await new Promise((r) => setTimeout(r, Math.max(0, realMs(FLIGHT_MIN) - (Date.now() - startedAt))));
    await sim.off();
    const samples: Sample[] = [];
    for (const line of sim.traces) {
      const m = /^memory slot=(\d+) chunk=(\d+) keys=\d+ stack=\d+ gc=\d+ outbox=(\d+)$/.exec(line);
      if (m) samples.push({ slotBytes: Number(m[1]), chunkBytes: Number(m[2]), outbox: Number(m[3]) });
    }
    if (samples.length < FLIGHT_MIN / 2) throw new Error(`only ${samples.length} memory samples came back`);
    const esp32 = (s: Sample) => (s.slotBytes / SLOT_BYTES_SIM) * SLOT_BYTES_ESP32 + s.chunkBytes;
    const peak = (list: Sample[], of: (s: Sample) => number) => Math.max(...list.map(of));
    const backlog = samples.filter((s) => s.outbox > 20);
    const steady = samples.filter((s) => s.outbox <= 20);
    const maxOutbox = peak(samples, (s) => s.outbox);
    const perRecord = backlog.length ? (peak(backlog, esp32) - peak(steady, esp32)) / maxOutbox : NaN;
    // Telemetry waits on flash now (src/app/flash-log.ts): a waiting record may cost no measurable RAM,
    // and then no limit can be derived from RAM (NaN, printed as such); the flash log is the limit.
    const derived = perRecord > 1 ? Math.floor(ESP32_OUTBOX_BUDGET_BYTES / perRecord) : NaN;
    const rows: Row[] = [
      { name: 'slot heap high-water, whole run', ours: peak(samples, (s) => s.slotBytes / SLOT_BYTES_SIM), reference: undefined, unit: 'slots', better: 'lower' },
      { name: 'slot heap high-water on the ESP32 (16 B a slot)', ours: (peak(samples, (s) => s.slotBytes) / SLOT_BYTES_SIM) * SLOT_BYTES_ESP32, reference: undefined, unit: 'B', better: 'lower' },
      { name: 'chunk heap high-water, whole run', ours: peak(samples, (s) => s.chunkBytes), reference: undefined, unit: 'B', better: 'lower' },
      { name: 'slots + chunks high-water, steady (outbox ≤ 20)', ours: peak(steady, esp32), reference: undefined, unit: 'B', better: 'lower' },
      { name: `slots + chunks high-water, backlog (outbox up to ${maxOutbox})`, ours: backlog.length ? peak(backlog, esp32) : NaN, reference: undefined, unit: 'B', better: 'lower' },
      { name: 'bytes per waiting outbox record (ESP32 terms)', ours: perRecord, reference: undefined, unit: 'B', better: 'lower' },
      { name: `largest outboxSize in ${ESP32_OUTBOX_BUDGET_BYTES / 1024} KB, beside the limit config.ts enforces`, ours: derived, reference: OUTBOX_MAX, unit: 'records', better: 'higher', goal: 'derived ≥ enforced' },
    ];
    printTable(
      `Device memory: ${samples.length} readings, one a simulated minute, ${FLIGHT_MIN}-minute flight at ${SPEED}×, broker down ${OUTAGE_MIN} min from minute ${OUTAGE_FROM_MIN}; XS creation ${simCreation} (the ESP32 build's)`,
      rows,
    );
    return rows;
  } finally {
    await broker.close();
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchDeviceMemory();
}
