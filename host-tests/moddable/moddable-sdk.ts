// Gets the Moddable SDK for a suite. When it cannot be had the suite is skipped, loudly; in CI
// (CI=true) that is a failure instead, because CI on this machine kind can always build it.
import { locateModdableSdk, type ModdableSdk } from '../../host/moddable/sdk';

export async function moddableSdkForTests(): Promise<ModdableSdk | undefined> {
  try {
    return await locateModdableSdk();
  } catch (error) {
    if (process.env.CI) throw error;
    process.stderr.write(`\n*** SKIPPING the Moddable suites: ${(error as Error).message}\n\n`);
    return undefined;
  }
}
