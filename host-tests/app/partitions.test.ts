// The ESP32 partition table (boards/esp32/partitions.csv) as ESP-IDF's gen_esp32part would take it:
// everything fits the 4 MB flash without overlap, apps on 64 KB boundaries, data on 4 KB ones; the
// outbox is a 1 MB data partition the flash module can find by label; the OTA slot size the
// firmware is built with is the table's.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const csv = readFileSync(new URL('../../boards/esp32/partitions.csv', import.meta.url), 'utf8');
const manifest = JSON.parse(readFileSync(new URL('../../boards/esp32/manifest.json', import.meta.url), 'utf8')) as { config: { otaPartitionBytes: number } };
const rows = csv
  .split('\n')
  .filter((line) => line.trim() && !line.startsWith('#'))
  .map((line) => {
    const [name, type, subtype, offset, size] = line.split(',').map((f) => f.trim());
    return { name, type, subtype, offset: Number(offset), size: Number(size) };
  });
const byName = (name: string) => rows.find((r) => r.name === name)!;

describe('ESP32 partition table', () => {
  it('fits 4 MB with no overlap; apps are 64 KB aligned and data 4 KB aligned', () => {
    const sorted = [...rows].sort((a, b) => a.offset - b.offset);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i].offset, `${sorted[i].name} overlaps ${sorted[i - 1].name}`).toBeGreaterThanOrEqual(sorted[i - 1].offset + sorted[i - 1].size);
    expect(sorted.at(-1)!.offset + sorted.at(-1)!.size).toBeLessThanOrEqual(4 * 1024 * 1024);
    for (const r of rows) expect(r.offset % (r.type === 'app' ? 0x10000 : 0x1000), `${r.name} alignment`).toBe(0);
    for (const r of rows) expect(r.size % 0x1000, `${r.name} size`).toBe(0);
  });

  it('has two equal OTA slots, the size the firmware is built with', () => {
    expect(byName('ota_0').size).toBe(byName('ota_1').size);
    expect(manifest.config.otaPartitionBytes).toBe(byName('ota_0').size);
    expect(byName('otadata').subtype).toBe('ota');
  });

  it('has a 1 MB data partition named outbox for the outbox log', () => {
    expect(byName('outbox')).toMatchObject({ type: 'data', size: 1024 * 1024 });
  });
});
