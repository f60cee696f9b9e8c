// The capacity and wear figures of the README ("The outbox on flash"), measured on the 1 MB outbox
// partition of boards/esp32/partitions.csv (emulated SDK flash module) with real telemetry records,
// rather than taken on faith from the arithmetic.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/app/config';
import { FlashLog, RECORD_OVERHEAD_BYTES, SECTOR_HEADER_BYTES } from '../../src/app/flash-log';
import { Outbox, type OutboxTransport } from '../../src/app/outbox';
import { TELEMETRY_BODY_BYTES } from '../../src/app/telemetry-record';
import { topicsFor } from '../../src/app/topics';
import { NorFlashChip } from '../fakes/sdk-flash';
import { reading } from '../fakes/readings';

const topics = topicsFor('s');
const PARTITION = 1024 * 1024;
const SECTORS = PARTITION / 4096;
const DAY_S = 86_400;

/** A link that acknowledges everything at once. */
class AckingLink implements OutboxTransport {
  connected = true;
  readonly tokens: number[] = [];
  #token = 0;
  publish(): number {
    this.tokens.push(++this.#token);
    return this.#token;
  }
}

describe('the outbox log on a 1 MB partition', () => {
  it('holds more than six hours of 1 Hz telemetry while the link is down, and outboxSize keeps six hours', () => {
    const recordBytes = TELEMETRY_BODY_BYTES + RECORD_OVERHEAD_BYTES;
    const perSector = Math.floor((4096 - SECTOR_HEADER_BYTES) / recordBytes);
    expect([recordBytes, perSector]).toEqual([41, 99]); // the README's figures
    const log = new FlashLog(new NorFlashChip({ outbox: PARTITION }).open('outbox'));
    expect(log.recordsPerSector(TELEMETRY_BODY_BYTES)).toBe(perSector);
    const outbox = new Outbox(log, topics, { capacity: 1_000_000 });
    let seq = 0;
    while (outbox.dropped === 0) outbox.addTelemetry(1, ++seq, reading(seq));
    const held = seq - 1; // readings on flash before the first had to go
    console.log(`1 MB log: ${held} readings of ${recordBytes} bytes (${perSector} a sector) before the first drop: ${(held / 3600).toFixed(2)} h at 1 Hz`);
    expect(held).toBeGreaterThanOrEqual((SECTORS - 1) * perSector); // all but the sector being reclaimed
    expect(held).toBeGreaterThan(6 * 3600);
    expect(DEFAULT_CONFIG.outboxSize).toBe(6 * 3600);
    expect(DEFAULT_CONFIG.outboxSize).toBeLessThanOrEqual(held); // the policy's limit is reached before the log's
  });

  it('erases each sector once per lap, round-robin: about 3.4 cycles a day at 1 Hz, decades to 100,000', () => {
    const chip = new NorFlashChip({ outbox: PARTITION });
    const outbox = new Outbox(new FlashLog(chip.open('outbox')), topics, { capacity: DEFAULT_CONFIG.outboxSize });
    const link = new AckingLink();
    const readings = 3 * SECTORS * 99; // three laps of the log
    for (let seq = 1; seq <= readings; seq++) {
      outbox.addTelemetry(1, seq, reading(seq));
      outbox.pump(link);
      for (let token = link.tokens.shift(); token !== undefined; token = link.tokens.shift()) outbox.delivered(token);
    }
    expect(outbox.dropped).toBe(0);
    const counts = [...chip.eraseCounts('outbox')];
    // The first lap fills blank sectors; from then on every new sector is an erase.
    const readingsPerErase = (readings - SECTORS * 99) / chip.erases;
    const cyclesPerDay = DAY_S / readingsPerErase / SECTORS;
    const years = 100_000 / cyclesPerDay / 365.25;
    console.log(
      `${readings} readings (three laps): ${chip.erases} erases, one per ${readingsPerErase.toFixed(1)} readings after the first lap, ` +
        `${Math.min(...counts)}–${Math.max(...counts)} per sector: ${cyclesPerDay.toFixed(2)} cycles/sector/day at 1 Hz, ${years.toFixed(0)} years to 100,000`,
    );
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1); // even wear
    expect(readingsPerErase).toBeGreaterThanOrEqual(98.5); // an erase per sector's worth of readings, no more
    expect(cyclesPerDay).toBeLessThan(3.5);
    expect(years).toBeGreaterThan(75);
    expect(chip.zeroToOneBits).toBe(0); // the log never asks the chip to raise a bit
  }, 120_000);
});
