#!/usr/bin/env node
// The TypeScript compiler mcconfig runs for this app (the manifest's "typescript": {"compiler"}):
// `node transpile.js -p <module>-tsconfig.json`, the same contract as `tsc -p`, for the one module
// that tsconfig names. It only transpiles, with esbuild: mcconfig's makefile starts one compiler per
// module, and a `tsc` that type-checks the whole import graph each time made a cold firmware build
// take about 100 s on two cores. Type-checking happens once for the whole firmware instead
// (`tsc -p tsconfig.device.json`: `npm run typecheck`, `npm test`, and before `npm run build:esp32`
// and `npm run flash`).
//
// What it keeps from tsc, for the options mcconfig writes (tools/mcmanifest.js, TSConfigFile):
// - the output path: outDir + the source's path below rootDir, .ts -> .js (the makefile's rule
//   expects exactly that file);
// - the emit that matters to XS: imports used only as types are removed, `import type` always;
//   classes keep native fields ([[Define]] semantics, as tsc for target es2022 and later);
//   `module: preserve` leaves import/export statements as written; nothing is lowered below target;
// - with sourceMap, a .js.map beside the output and a sourceMappingURL comment, so xsc maps the
//   debugger back to the .ts lines as with tsc.
// A syntax error is reported as tsc would (file(line,col): error: text) and fails the make rule.
//
// Starting Node for each of the app's ~45 modules still costs about 0.4 s of CPU each, so the
// project's own build functions (host/moddable/sdk.ts) call transpileModules() once after mcconfig
// has written the makefile: every output is then newer than its source and make skips the per-module
// rule. A plain `mcconfig -m` build runs the rule for each module and gets the same files.
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { transform } from 'esbuild';

const USAGE = 'usage: node host/moddable/transpile.js -p <tsconfig.json>   (transpiles the one module it names)';

/** A module's tsconfig that this transpiler cannot honour. */
export class TranspileConfigError extends Error {
  code = 'TRANSPILE_CONFIG';
}

/**
 * Reads a tsconfig and the ones it extends; compilerOptions merge as tsc merges them (nearest wins).
 * `configFiles` lists the files read: the output depends on them as on the source.
 * @param {string} file
 * @returns {{ files?: string[], compilerOptions: Record<string, unknown>, configFiles: string[] }}
 */
function readTsconfig(file) {
  const json = JSON.parse(readFileSync(file, 'utf8'));
  const base = json.extends ? readTsconfig(path.resolve(path.dirname(file), json.extends)) : { compilerOptions: {}, configFiles: [] };
  return { ...base, ...json, compilerOptions: { ...base.compilerOptions, ...json.compilerOptions }, configFiles: [file, ...base.configFiles] };
}

/**
 * Transpiles the one module a per-module tsconfig names, to where tsc would write it.
 * Resolves with the problems found (empty when the output was written).
 * @param {string} tsconfigFile
 * @returns {Promise<string[]>}
 */
export async function transpileModule(tsconfigFile) {
  const configFile = path.resolve(tsconfigFile);
  const config = readTsconfig(configFile);
  const options = config.compilerOptions;
  if (!Array.isArray(config.files) || config.files.length !== 1) {
    throw new TranspileConfigError(`${configFile}: expected "files" with exactly one module (mcconfig writes one tsconfig per module)`);
  }
  if (typeof options.outDir !== 'string') throw new TranspileConfigError(`${configFile}: no compilerOptions.outDir`);
  const configDir = path.dirname(configFile);
  const source = path.resolve(configDir, config.files[0]);
  const rootDir = path.resolve(configDir, typeof options.rootDir === 'string' ? options.rootDir : path.dirname(source));
  const output = path.join(path.resolve(configDir, options.outDir), path.relative(rootDir, source)).replace(/\.[cm]?ts$/, '.js');

  let result;
  try {
    result = await transform(readFileSync(source, 'utf8'), {
      loader: 'ts',
      format: 'esm',
      target: String(options.target ?? 'esnext').toLowerCase(),
      // esbuild reads from these what changes emit: useDefineForClassFields (derived from target when
      // absent, as in tsc), verbatimModuleSyntax / preserveValueImports, experimentalDecorators.
      tsconfigRaw: { compilerOptions: options },
      sourcemap: options.sourceMap ? 'external' : false,
      sourcefile: path.relative(path.dirname(output), source),
      charset: 'utf8',
    });
  } catch (error) {
    /** @type {{ text: string, location?: { line: number, column: number } | null }[] | undefined} */
    const problems = error instanceof Error && 'errors' in error ? /** @type {any} */ (error).errors : undefined;
    if (!problems) return [`${source}: error: ${error instanceof Error ? error.message : String(error)}`];
    return problems.map((problem) => {
      const where = problem.location ? `(${problem.location.line},${problem.location.column + 1})` : '';
      return `${source}${where}: error: ${problem.text}`;
    });
  }
  mkdirSync(path.dirname(output), { recursive: true });
  // A module of types only transpiles to nothing; tsc (module: preserve) still emits an empty ES
  // module, and xsc crashes on a source map without sources, so write what tsc writes.
  let code = result.code || 'export {};\n';
  if (options.sourceMap && JSON.parse(result.map).sources.length > 0) {
    writeFileSync(`${output}.map`, result.map);
    code += `//# sourceMappingURL=${path.basename(output)}.map\n`;
  }
  writeOutput(output, code, [source, ...config.configFiles]);
  return [];
}

/**
 * Writes the output unless it already holds `code` and is newer than everything it was made from:
 * the project's builds transpile every module each time, and an output whose time stamp stays put is
 * one make does not compile with xsc again.
 * @param {string} file
 * @param {string} code
 * @param {string[]} inputs
 */
function writeOutput(file, code, inputs) {
  const upToDate = existsSync(file) && inputs.every((input) => statSync(file).mtimeMs >= statSync(input).mtimeMs);
  if (upToDate && readFileSync(file, 'utf8') === code) return;
  writeFileSync(file, code);
}

/**
 * Transpiles every TypeScript module of an mcconfig build at once: the `<name>-tsconfig.json` files
 * mcconfig wrote under its modules directory. Resolves with the number of modules and the problems.
 * @param {string} modulesDir
 * @returns {Promise<{ modules: number, problems: string[] }>}
 */
export async function transpileModules(modulesDir) {
  const configs = readdirSync(modulesDir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('-tsconfig.json'))
    .map((file) => path.join(modulesDir, file));
  const problems = (await Promise.all(configs.map(transpileModule))).flat();
  return { modules: configs.length, problems };
}

/** @param {string[]} args */
async function main(args) {
  if (args.length === 1 && (args[0] === '--help' || args[0] === '-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (args.length !== 2 || (args[0] !== '-p' && args[0] !== '--project')) {
    process.stderr.write(`expected -p <tsconfig.json>, got: ${args.join(' ') || 'nothing'}\n${USAGE}\n`);
    return 2;
  }
  try {
    const problems = await transpileModule(args[1]);
    for (const problem of problems) process.stderr.write(`${problem}\n`);
    return problems.length ? 1 : 0;
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = await main(process.argv.slice(2));
