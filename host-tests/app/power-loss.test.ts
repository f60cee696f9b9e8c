// The outbox's flash log through a power cut at every write and erase of a workload (the emulated SDK
// flash module tears the cut operation: a partial program, a partial erase), then recovery. After any
// cut: nothing whose append had returned is lost unless acknowledged, nothing acknowledged before the
// cut comes back, nothing damaged is replayed, order and seq are kept, and the node goes on.
import { describe, expect, it } from 'vitest';
import { FlashLog } from '../../src/app/flash-log';
import { Outbox, type OutboxTransport } from '../../src/app/outbox';
import { topicsFor } from '../../src/app/topics';
import type { FlashArea } from '../../src/ports';
import { NorFlashChip, PowerLoss } from '../fakes/moddable/flash-module';
import { reading, readingTime } from '../fakes/readings';

const topics = topicsFor('s');
const SECTORS = 3;

/** What the test knows happened before the cut. */
interface Model {
  /** seq (telemetry) or -n (emergency n) → payload, for every record whose append returned. */
  durable: Map<number, string>;
  /** The same for every record whose append began (the last one may or may not have landed). */
  pending: Map<number, string>;
  /** Records whose acknowledgement was written (delivered() returned). */
  acknowledged: Set<number>;
  /** The record being appended or acknowledged when the power went: it may land either way. */
  inProgress?: number;
}

class Link implements OutboxTransport {
  connected = true;
  readonly inflight: { token: number; key: number; payload: string }[] = [];
  #token = 0;
  publish(topic: string, payload: Uint8Array): number {
    const text = new TextDecoder().decode(payload);
    const key = topic === topics.telemetry ? Number(/"seq":(\d+)/.exec(text)![1]) : -Number(text.slice(1));
    this.inflight.push({ token: ++this.#token, key, payload: text });
    return this.#token;
  }
}

/**
 * A day in the life, deterministic: readings every step, an emergency now and then, the link up and
 * down, acknowledgements in bursts. Fills `model` as operations complete; a PowerLoss stops it.
 */
function workload(outbox: Outbox, chip: NorFlashChip, model: Model, from: number, steps: number, boot: number): void {
  const link = new Link();
  // The node sees a flash error and carries on, but with the power gone nothing after the cut runs:
  // a call during which the power went has not returned, so the model does not learn of it.
  const alive = () => {
    if (!chip.powered) throw new PowerLoss('the power went during that call');
  };
  const expected = new Map<number, string>();
  for (let step = from; step < from + steps; step++) {
    link.connected = step % 97 < 60; // outages long enough to fill sectors
    expected.set(step, expectedTelemetry(boot, step));
    model.inProgress = step;
    model.pending.set(step, expected.get(step)!);
    outbox.addTelemetry(boot, step, reading(step), readingTime(step));
    alive();
    model.durable.set(step, expected.get(step)!);
    if (step % 41 === 0) {
      model.inProgress = -step;
      model.pending.set(-step, `e${step}`);
      outbox.add('emergency', topics.emergency, new TextEncoder().encode(`e${step}`), true);
      alive();
      model.durable.set(-step, `e${step}`);
    }
    model.inProgress = undefined;
    outbox.pump(link);
    alive();
    const acks = step % 5 === 0 ? link.inflight.length : Math.min(1, link.inflight.length);
    for (let i = 0; i < acks && link.connected; i++) {
      const done = link.inflight.shift()!;
      model.inProgress = done.key;
      outbox.delivered(done.token);
      alive();
      model.acknowledged.add(done.key);
      model.inProgress = undefined;
      outbox.pump(link);
      alive();
    }
  }
}

const newModel = (): Model => ({ durable: new Map(), pending: new Map(), acknowledged: new Set() });

let reference: Outbox | undefined;
const expectedPayloads = new Map<string, string>();
/** The payload a reading gets, made by an outbox of its own (the reference). */
function expectedTelemetry(boot: number, seq: number): string {
  const key = `${boot}/${seq}`;
  let payload = expectedPayloads.get(key);
  if (payload === undefined) {
    reference ??= new Outbox(new FlashLog(new NorFlashChip({ outbox: 8192 }).open('outbox')), topics, { capacity: 1 });
    const link = new Link();
    reference.addTelemetry(boot, seq, reading(seq), readingTime(seq));
    reference.pump(link);
    reference.delivered(link.inflight[0].token);
    payload = link.inflight[0].payload;
    expectedPayloads.set(key, payload);
  }
  return payload;
}

/** Everything a recovered outbox sends, acknowledging each. */
function replay(outbox: Outbox): { key: number; payload: string }[] {
  const link = new Link();
  const sent: { key: number; payload: string }[] = [];
  for (outbox.pump(link); link.inflight.length > 0; outbox.pump(link)) {
    const done = link.inflight.shift()!;
    sent.push(done);
    outbox.delivered(done.token);
  }
  return sent;
}

/** Every way the replay breaks the rules, in words (one expect per cut keeps the test fast). */
function violations(model: Model, sent: { key: number; payload: string }[]): string[] {
  const problems: string[] = [];
  const keys = sent.map((s) => s.key);
  const replayed = new Set(keys);
  for (const { key, payload } of sent) {
    if (payload !== model.pending.get(key)) problems.push(`record ${key} replayed as ${payload}, not as written`);
    if (model.acknowledged.has(key)) problems.push(`record ${key} was acknowledged before the cut, yet replayed`);
    if (!model.durable.has(key) && key !== model.inProgress) problems.push(`record ${key} was never durable, yet replayed`);
  }
  for (const key of model.durable.keys()) {
    if (!model.acknowledged.has(key) && key !== model.inProgress && !replayed.has(key)) problems.push(`durable record ${key} lost`);
  }
  if (replayed.size !== keys.length) problems.push('a record replayed twice');
  const seqs = keys.filter((k) => k > 0);
  if (seqs.some((seq, i) => i > 0 && seq < seqs[i - 1])) problems.push(`telemetry out of order: ${seqs.join(',')}`);
  const emergencies = keys.filter((k) => k < 0);
  if (emergencies.some((e, i) => i > 0 && e > emergencies[i - 1])) problems.push(`emergencies out of order: ${emergencies.join(',')}`);
  if (seqs.length && emergencies.length && keys.indexOf(emergencies[0]) > keys.indexOf(seqs[0])) problems.push('telemetry before an emergency');
  return problems;
}

/** One flash operation of the uncut run, with the flash and the model as they were just before it. */
interface Moment {
  flash: Uint8Array;
  durable: number;
  pending: number;
  acknowledged: number;
  inProgress: number | undefined;
  erase: boolean;
  operation: (area: FlashArea) => void;
}

/** Runs the workload uncut, recording the moment before each write and erase. */
function record(steps: number): { moments: Moment[]; model: Model; erases: number } {
  const chip = new NorFlashChip({ outbox: SECTORS * 4096 });
  const area = chip.open('outbox');
  const model = newModel();
  const moments: Moment[] = [];
  const remember = (erase: boolean, operation: Moment['operation']) =>
    moments.push({
      flash: chip.contents('outbox').slice(),
      durable: model.durable.size,
      pending: model.pending.size,
      acknowledged: model.acknowledged.size,
      inProgress: model.inProgress,
      erase,
      operation,
    });
  const recording: FlashArea = {
    byteLength: area.byteLength,
    blockSize: area.blockSize,
    read: (offset, length) => area.read(offset, length),
    erase: (sector) => {
      remember(true, (a) => a.erase(sector));
      area.erase(sector);
    },
    write: (offset, length, buffer) => {
      const bytes = new Uint8Array(buffer instanceof ArrayBuffer ? buffer : buffer.slice(0, length)).slice(0, length);
      remember(false, (a) => a.write(offset, length, bytes));
      area.write(offset, length, buffer);
    },
  };
  workload(new Outbox(new FlashLog(recording), topics, { capacity: 100_000 }), chip, model, 1, steps, 1);
  return { moments, model, erases: chip.erases };
}

/** The model as it stood at a moment: insertion order makes each a prefix. */
function modelAt(full: Model, moment: Moment): Model {
  return {
    durable: new Map([...full.durable].slice(0, moment.durable)),
    pending: new Map([...full.pending].slice(0, moment.pending)),
    acknowledged: new Set([...full.acknowledged].slice(0, moment.acknowledged)),
    inProgress: moment.inProgress,
  };
}

describe('outbox log through a power cut at every flash operation', () => {
  it('loses nothing durable, replays nothing acknowledged or damaged, keeps order and seq, and carries on', () => {
    const { moments, model: full, erases } = record(900);
    expect(erases).toBeGreaterThan(SECTORS); // the ring wrapped more than once: reclaim and erase are cut too
    // An erase can be torn in many more ways than a small write: each is cut under many seeds.
    const cuts = moments.flatMap((moment, index) => Array.from({ length: moment.erase ? 60 : 1 }, (_, seed) => ({ moment, index, seed })));
    console.log(`power cuts at each of ${moments.length} flash operations (${erases} of them erases, each cut 60 ways): ${cuts.length} cuts`);
    const failures: string[] = [];
    cuts.forEach(({ moment, index: cut, seed }) => {
      // The flash as it was, then that operation torn by the cut.
      const chip = new NorFlashChip({ outbox: SECTORS * 4096 }, 1000 + cut * 100 + seed);
      chip.contents('outbox').set(moment.flash);
      chip.cutPowerAfter(0);
      try {
        moment.operation(chip.open('outbox'));
        failures.push(`cut at operation ${cut}/${seed}: it was not torn`);
      } catch (error) {
        if (!(error instanceof PowerLoss)) throw error;
      }
      chip.powerOn();
      const model = modelAt(full, moment);
      const recovered = new Outbox(new FlashLog(chip.open('outbox')), topics, { capacity: 100_000 });
      const durableSeqs = [...model.durable.keys()].filter((k) => k > 0);
      const sent = replay(recovered);
      const problems = violations(model, sent);
      if (recovered.lastSeq < Math.max(0, ...durableSeqs)) problems.push(`seq went back to ${recovered.lastSeq}`);
      // ...and the node carries on on the same flash: a second life, cut again later, recovers too.
      const after = newModel();
      for (const { key } of sent) after.acknowledged.add(key);
      chip.cutPowerAfter(40 + (cut % 80));
      try {
        workload(recovered, chip, after, recovered.lastSeq + 1, 60, 2);
      } catch (error) {
        if (!(error instanceof PowerLoss)) throw error;
      }
      chip.powerOn();
      problems.push(...violations(after, replay(new Outbox(new FlashLog(chip.open('outbox')), topics, { capacity: 100_000 }))).map((p) => `second life: ${p}`));
      if (problems.length > 0) failures.push(`cut at operation ${cut}/${seed}: ${problems.slice(0, 3).join('; ')}`);
    });
    expect(failures).toEqual([]);
  }, 600_000);
});
