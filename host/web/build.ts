// Builds the ground station page with esbuild, in memory, when the server starts (a fraction of a
// second): our MQTT client, the page and uPlot become one script and one stylesheet served from
// this process. Nothing is fetched from anywhere at build or at run time.
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

export interface PageBundle {
  html: string;
  js: string;
  css: string;
}

const pageDir = new URL('./page/', import.meta.url);

export async function buildPage(): Promise<PageBundle> {
  const result = await build({
    entryPoints: { app: new URL('main.ts', pageDir).pathname },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox110', 'safari16'],
    minify: true,
    sourcemap: false,
    write: false,
    outdir: '/', // in memory: names only
    logLevel: 'silent',
  });
  const file = (ext: string) => {
    const output = result.outputFiles.find((f) => f.path.endsWith(ext));
    if (!output) throw new Error(`the page build produced no ${ext} file`);
    return output.text;
  };
  return { html: readFileSync(new URL('index.html', pageDir), 'utf8'), js: file('.js'), css: file('.css') };
}
