// Lets vitest run the firmware's Moddable adapters (src/platform/moddable/**, the same files the
// device build compiles) against the emulators in sdk/: a Vite plugin that resolves, for importers
// inside src/, the module names the Moddable manifests define — the project's own ("ports",
// "ota/…", "board/…" as the ESP32 board maps it, …) and the SDK's ("embedded:update", "preference",
// "embedded:io/i2c", "mc/ffi", …). An SDK module with no emulator resolves to a module that throws
// when imported, naming it, so a test never silently runs against something that is not there.
import { isBuiltin } from 'node:module';
import path from 'node:path';
import type { Plugin } from 'vite';

const root = path.resolve(import.meta.dirname, '../../..');
const src = (file: string) => path.join(root, 'src', `${file}.ts`);
const emulator = (file: string) => path.join(root, 'host-tests/fakes/moddable/sdk', `${file}.ts`);

/** The project's module names (manifest.json and boards/esp32/manifest.json). */
const PROJECT: [RegExp, (match: RegExpExecArray) => string][] = [
  [/^ports$/, () => src('ports')],
  [/^coded-error$/, () => src('coded-error')],
  [/^(ota|sensor|app|mqtt)\/(.+)$/, (m) => src(`${m[1]}/${m[2]}`)],
  [/^platform\/moddable\/(.+)$/, (m) => src(`platform/moddable/${m[1]}`)],
  [/^board\/(.+)$/, (m) => src(`platform/moddable/esp32/${m[1]}`)],
];

/** The SDK's modules that have an emulator. */
const SDK: Record<string, string> = {
  'embedded:update': 'embedded-update',
  'embedded:storage/flash': 'embedded-storage-flash',
  flash: 'flash',
  'embedded:io/i2c': 'embedded-io-i2c',
  preference: 'preference',
  crypt: 'crypt',
  http: 'http',
  timer: 'timer',
  'mc/ffi': 'mc-ffi',
  system: 'system',
};

/** SDK modules the firmware imports that no emulator stands in for (yet). */
const WITHOUT_EMULATOR = ['wifi', 'net', 'sntp', 'time', 'embedded:io/socket/tcp', 'ssl/session', 'ecdsa', 'curve', 'ecp', 'mc/config', 'instrumentation'];
const MISSING = '\0no-moddable-emulator:';
/** SDK names that are also Node built-ins ("http", "net"): vitest would never ask the plugin about them. */
const RENAMED = 'moddable-sdk:';
const isSrc = (id: string) => id.startsWith(path.join(root, 'src') + path.sep);

export function moddableModules(): Plugin {
  return {
    name: 'moddable-modules',
    enforce: 'pre',
    resolveId(source, importer) {
      if (!importer || !isSrc(importer)) return null;
      if (source.startsWith(RENAMED)) source = source.slice(RENAMED.length);
      for (const [pattern, target] of PROJECT) {
        const match = pattern.exec(source);
        if (match) return target(match);
      }
      if (source in SDK) return emulator(SDK[source]);
      if (WITHOUT_EMULATOR.includes(source)) return MISSING + source;
      return null;
    },
    transform(code, id) {
      if (!isSrc(id)) return null;
      const renamed = code.replace(/(from\s+|import\s*\(\s*)(["'])([^"']+)\2/g, (all, lead: string, quote: string, name: string) =>
        isBuiltin(name) && !name.startsWith('node:') && (name in SDK || WITHOUT_EMULATOR.includes(name)) ? `${lead}${quote}${RENAMED}${name}${quote}` : all,
      );
      return renamed === code ? null : { code: renamed, map: null };
    },
    load(id) {
      if (!id.startsWith(MISSING)) return null;
      const name = id.slice(MISSING.length);
      return `throw new Error(${JSON.stringify(`no emulator for the Moddable module "${name}": host tests cannot run code that imports it`)});`;
    },
  };
}
