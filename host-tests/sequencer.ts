// The order test files start in. vitest runs up to `maxWorkers` files at once (vitest.config.ts);
// most of the run's time is in a few files that mostly wait (for the firmware build, for mcsim's
// one reading a second, for brokers and processes they restart), so they start first and the many
// quick files fill the workers around them. On a cold CI machine vitest has no timings of earlier
// runs to sort by, hence this list; files not in it keep vitest's own order after it.
//
// The simulator suites share one firmware build (host-tests/moddable/shared-firmware.ts): the main
// simulator suite starts first and builds it; the others come after the long non-simulator files,
// so they do not hold workers idle while the build runs.
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const FIRST = [
  'host-tests/moddable/simulator.test.ts',
  // These two build firmware of their own (several versions for the updates; a probe app).
  'host-tests/moddable/sim-ota.test.ts',
  'host-tests/moddable/native-verify.test.ts',
  'host-tests/integration/soak.test.ts',
  'host-tests/app/simulate.test.ts',
  'host-tests/ota/end-to-end.test.ts',
  'host-tests/broker/broker-config.test.ts',
  'host-tests/host/command-line.test.ts',
  'host-tests/moddable/firmware-build.test.ts',
  'host-tests/moddable/simulator-panel.test.ts',
  'host-tests/moddable/flight-replay.test.ts',
  'host-tests/moddable/sim-device.test.ts',
];

export default class LongFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const index = FIRST.findIndex((name) => file.moduleId.endsWith(name));
      return index === -1 ? FIRST.length : index;
    };
    const sorted = await super.sort(files);
    return sorted.map((file, order) => ({ file, order })).sort((a, b) => rank(a.file) - rank(b.file) || a.order - b.order).map(({ file }) => file);
  }
}
