// The conventions every host command follows (npm start, npm run sim | ota | fuzz | bench | build:esp32
// | flash), in one place:
// - `--help` prints the usage to stdout and exits 0;
// - a command line the tool cannot act on prints one line saying why, then the usage, to stderr, and
//   exits 2;
// - any other failure prints `error: <message>` to stderr and exits 1.
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A command line the tool cannot act on. `usage` overrides the command's usage (a subcommand's). */
export class UsageError extends Error {
  readonly code = 'USAGE';
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
  }
}

/** node:util's parseArgs, with its complaints (unknown option, missing value) as UsageErrors. */
export function parseCommandLine<T extends ParseArgsConfig>(config: T, usage?: string): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    throw new UsageError((error as Error).message, usage);
  }
}

/** True when the arguments ask for help: --help or -h. */
export function wantsHelp(args: readonly string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}

/** Prints the usage to stdout; the exit status of --help. */
export function printHelp(usage: string): 0 {
  process.stdout.write(`${usage.trimEnd()}\n`);
  return 0;
}

/**
 * Runs a command's main function and exits with its status, or reports what it threw as the
 * conventions say. A main that resolves without a status leaves the process to end by itself.
 */
export function runCommand(main: () => Promise<number | void>, usage: string): void {
  main().then(
    (status) => {
      if (typeof status === 'number') process.exit(status);
    },
    (error: unknown) => {
      if (error instanceof UsageError) {
        process.stderr.write(`error: ${error.message}\n${(error.usage ?? usage).trimEnd()}\n`);
        process.exit(2);
      }
      process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
