// npm run fuzz [-- SECONDS] — the decoder fuzzing of the test suite, run long (default 60 s):
// mutated valid packet streams and random bytes in random splits. Stops at the first input that
// throws anything but a ProtocolError, printing it; otherwise prints how many inputs it tried.
import fc from 'fast-check';
import { feedInChunks, mutatedStream, randomStream, splits } from '../host-tests/fakes/decoder-fuzz';
import { parseCommandLine, printHelp, runCommand, UsageError, wantsHelp } from './command-line';

const USAGE = `usage: npm run fuzz [-- SECONDS]

Fuzzes the MQTT decoder for SECONDS seconds (default 60; at most 86400): mutated valid packet
streams and random bytes, fed in random splits. Exits 1 at the first input that throws anything but
a ProtocolError, printing it; otherwise prints how many inputs it tried and exits 0.

  --help   this text`;

function seconds(args: string[]): number {
  const { positionals } = parseCommandLine({ args, allowPositionals: true, options: {} });
  if (positionals.length > 1) throw new UsageError(`expected at most one argument (SECONDS), not ${positionals.length}: ${positionals.join(' ')}`);
  const text = positionals[0] ?? '60';
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(value > 0) || value > 86_400) throw new UsageError(`SECONDS must be a number above 0 and at most 86400, not "${text}"`);
  return value;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (wantsHelp(args)) return printHelp(USAGE);
  const duration = seconds(args);
  const deadline = Date.now() + duration * 1000;
  let inputs = 0;
  let rejected = 0;
  while (Date.now() < deadline) {
    for (const stream of [mutatedStream, randomStream]) {
      fc.assert(
        fc.property(stream, splits, (bytes, sizes) => {
          inputs++;
          if (feedInChunks(bytes, sizes).error) rejected++;
        }),
        { numRuns: 2000 },
      );
    }
  }
  console.log(`${inputs} inputs in ${duration} s: ${rejected} rejected with a ProtocolError, none with anything else, memory bounded`);
  return 0;
}

runCommand(main, USAGE);
