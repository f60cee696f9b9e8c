// An HTTP server for update images with Range support, so a device can resume a dropped download.
// `rateBytesPerS` limits what each response sends, as a slow field link would.
import { createReadStream, statSync, type ReadStream } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

export interface ImageServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Sends the stream to the response, at most `rateBytesPerS` (when given) in each second. */
function send(stream: ReadStream, response: http.ServerResponse, rateBytesPerS: number | undefined): void {
  if (!rateBytesPerS) {
    stream.pipe(response);
    return;
  }
  const startMs = Date.now();
  let sent = 0;
  stream.on('data', (chunk) => {
    stream.pause();
    response.write(chunk);
    sent += chunk.length;
    setTimeout(() => stream.resume(), Math.max(0, (sent * 1000) / rateBytesPerS - (Date.now() - startMs)));
  });
  stream.on('end', () => response.end());
  response.on('close', () => stream.destroy());
}

export async function startImageServer(
  dir: string,
  options: { port?: number; host?: string; rateBytesPerS?: number; log?: (line: string) => void } = {},
): Promise<ImageServer> {
  const root = path.resolve(dir);
  const server = http.createServer((request, response) => {
    let name: string;
    try {
      name = decodeURIComponent((request.url ?? '/').split('?')[0]);
    } catch {
      // A malformed percent-encoding (e.g. /%E0%A4%A) is the client's mistake: say so, keep serving.
      response.writeHead(400, { 'content-type': 'text/plain' }).end('bad request: malformed percent-encoding in the path\n');
      options.log?.(`400 ${request.url}`);
      return;
    }
    const file = path.resolve(root, `.${name}`);
    let size: number;
    try {
      if (!file.startsWith(root + path.sep)) throw new Error('outside the served directory');
      size = statSync(file).size;
    } catch {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      options.log?.(`404 ${name}`);
      return;
    }
    const range = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start >= size || start > end) {
        response.writeHead(416, { 'content-range': `bytes */${size}` }).end();
        return;
      }
      response.writeHead(206, { 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': end - start + 1, 'accept-ranges': 'bytes' });
      send(createReadStream(file, { start, end, highWaterMark: 16 * 1024 }), response, options.rateBytesPerS);
      options.log?.(`206 ${name} from byte ${start}`);
      return;
    }
    response.writeHead(200, { 'content-length': size, 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream' });
    send(createReadStream(file, { highWaterMark: 16 * 1024 }), response, options.rateBytesPerS);
    options.log?.(`200 ${name}`);
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
