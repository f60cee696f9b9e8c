// Benchmark helpers: interleaved rounds (so machine noise hits both sides alike), best round kept,
// and a table of our figure beside the reference measured in the same run, as a ratio.

export interface Row {
  name: string;
  ours: number;
  reference: number | undefined;
  unit: string;
  /** 'higher' when more is better (throughput), 'lower' when less is (cost). */
  better: 'higher' | 'lower';
  goal?: string;
}

export function ratio(row: Row): number | undefined {
  if (row.reference === undefined) return undefined;
  const r = row.better === 'higher' ? row.ours / row.reference : row.reference / row.ours;
  return Number.isFinite(r) ? r : undefined; // nothing to compare against a cost of 0
}

const format = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(n >= 10 ? 1 : 2));

export function printTable(title: string, rows: Row[]): void {
  process.stdout.write(`\n${title}\n`);
  const lines = rows.map((row) => {
    const r = ratio(row);
    return [
      row.name,
      `${format(row.ours)} ${row.unit}`,
      row.reference === undefined ? '—' : `${format(row.reference)} ${row.unit}`,
      r === undefined ? '—' : `${r.toFixed(2)}×`,
      row.goal ?? '',
    ];
  });
  const header = ['benchmark', 'ours', 'reference', 'ours vs ref', 'goal'];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const render = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  process.stdout.write(`${render(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const line of lines) process.stdout.write(`${render(line)}\n`);
}

/** Runs `ours` and `reference` alternately `rounds` times; returns the best (highest) rate of each. */
export async function interleaved(
  rounds: number,
  ours: () => number | Promise<number>,
  reference: () => number | Promise<number>,
): Promise<{ ours: number; reference: number }> {
  let bestOurs = 0;
  let bestReference = 0;
  for (let i = 0; i < rounds; i++) {
    bestOurs = Math.max(bestOurs, await ours());
    bestReference = Math.max(bestReference, await reference());
  }
  return { ours: bestOurs, reference: bestReference };
}

/** Operations per second of `fn`, which performs `count` operations per call, over at least `minMs`. */
export function rate(count: number, fn: () => void, minMs = 300): number {
  let operations = 0;
  const start = process.hrtime.bigint();
  let elapsedMs = 0;
  do {
    fn();
    operations += count;
    elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  } while (elapsedMs < minMs);
  return (operations / elapsedMs) * 1000;
}
