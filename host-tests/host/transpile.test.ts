// host/moddable/transpile.js, the TypeScript compiler the manifest gives mcconfig: the `tsc -p
// <module-tsconfig>` contract of mcconfig's makefile (tools/mcmanifest.js: one tsconfig per module
// extending tsconfig-base.json, rootDir "/", outDir per module; the rule expects
// <outDir>/<source path>.js), and the emit XS depends on.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const execute = promisify(execFile);
const transpiler = path.resolve(import.meta.dirname, '../../host/moddable/transpile.js');
const work = mkdtempSync(path.join(os.tmpdir(), 'altimeter-transpile-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Writes a module and the two tsconfigs mcconfig would write for it; returns where tsc would emit it. */
function moduleOf(name: string, source: string): { tsconfig: string; output: string } {
  const sourceFile = path.join(work, 'src', `${name}.ts`);
  mkdirSync(path.dirname(sourceFile), { recursive: true });
  writeFileSync(sourceFile, source);
  const modules = path.join(work, 'modules');
  mkdirSync(modules, { recursive: true });
  const base = path.join(modules, 'tsconfig-base.json');
  writeFileSync(base, JSON.stringify({ compilerOptions: { module: 'preserve', lib: ['es2025'], sourceMap: true, target: 'es2025', paths: {} } }));
  const outDir = path.join(work, 'tsc', name);
  const tsconfig = path.join(modules, `${name}-tsconfig.json`);
  writeFileSync(tsconfig, JSON.stringify({ extends: base, compilerOptions: { rootDir: '/', outDir }, files: [sourceFile] }));
  return { tsconfig, output: path.join(outDir, sourceFile.replace(/\.ts$/, '.js')) };
}

async function transpile(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execute(process.execPath, [transpiler, ...args], { timeout: 30_000 });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { status: code, stdout, stderr };
  }
}

describe('the TypeScript compiler mcconfig runs (host/moddable/transpile.js)', () => {
  it('writes the module where tsc would, with a source map xsc can follow back to the .ts', async () => {
    const { tsconfig, output } = moduleOf(
      'fields',
      [
        "import type { Clock } from 'ports';",
        "import { helper, type Shape } from 'helpers';",
        'export class Sensor extends Error {',
        "  readonly code = 'X';",
        '  #count = 0;',
        '  constructor(readonly clock: Clock, shape?: Shape) { super(String(shape)); helper(this.#count); }',
        '}',
        '',
      ].join('\n'),
    );
    expect(await transpile('-p', tsconfig)).toEqual({ status: 0, stdout: '', stderr: '' });
    const code = readFileSync(output, 'utf8');
    expect(code).not.toMatch(/ports|Shape|Clock/); // type-only imports and types are gone
    expect(code).toMatch(/import \{ helper \} from "helpers";/); // value imports stay as written (module: preserve)
    expect(code).toMatch(/^\s*code = "X";$/m); // a native class field: [[Define]], which Moddable's frozen Error.prototype needs
    expect(code).toMatch(/^\s*#count = 0;$/m);
    expect(code).toMatch(/this\.clock = clock;/);
    expect(code.trimEnd().endsWith('//# sourceMappingURL=fields.js.map')).toBe(true);
    const map = JSON.parse(readFileSync(`${output}.map`, 'utf8')) as { version: number; sources: string[] };
    expect(map.version).toBe(3);
    expect(path.resolve(path.dirname(output), map.sources[0])).toBe(path.join(work, 'src', 'fields.ts'));
  });

  it('emits an empty ES module, without a source map, for a module of types only (as tsc does)', async () => {
    const { tsconfig, output } = moduleOf('types-only', 'export interface Port { read(): number }\nexport type Id = string;\n');
    expect((await transpile('-p', tsconfig)).status).toBe(0);
    expect(readFileSync(output, 'utf8')).toBe('export {};\n');
    expect(existsSync(`${output}.map`)).toBe(false);
  });

  it('fails the make rule on a syntax error, naming the file, line and column', async () => {
    const { tsconfig, output } = moduleOf('broken', 'export const a = 1;\nexport const b = ;\n');
    const { status, stderr } = await transpile('-p', tsconfig);
    expect(status).toBe(1);
    expect(stderr).toContain(`${path.join(work, 'src', 'broken.ts')}(2,18): error: Unexpected ";"`);
    expect(existsSync(output)).toBe(false);
  });

  it('follows the command-line conventions', async () => {
    expect(await transpile('--help')).toMatchObject({ status: 0, stdout: expect.stringMatching(/^usage: node host\/moddable\/transpile\.js -p <tsconfig\.json>/) });
    const wrong = await transpile('src/main.ts');
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/^expected -p <tsconfig.json>, got: src\/main.ts\nusage: /);
  });
});
