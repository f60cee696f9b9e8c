// The ground station's web server, in the `npm start` process: the page (built at start), and
// /config.json telling it where the broker's WebSocket listener is and who may watch. It listens on
// loopback only: the embedded broker has no login of its own yet, and the page is for this computer
// unless the user puts it behind something that is meant to face a network.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { PARTIES } from '../parties';
import { buildPage } from './build';
import type { PageConfig, PartyConfig } from './page/page-config';

export interface WebServerOptions {
  /** 0 picks a free port. */
  port: number;
  deviceId: string;
  /** The broker's MQTT-over-WebSocket URL as the browser must use it. */
  wsUrl: string;
  /** Demo credentials per party (e.g. those `npm start` generated for its embedded broker). */
  credentials?: (partyId: string) => { username: string; password: string } | undefined;
}

export interface WebServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

export class WebPortInUseError extends Error {
  readonly code = 'EADDRINUSE';
}

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const page = await buildPage();
  const config: PageConfig = {
    deviceId: options.deviceId,
    wsUrl: options.wsUrl,
    parties: PARTIES.map((party): PartyConfig => ({ ...party, ...options.credentials?.(party.id) })),
  };
  const wsOrigin = new URL(options.wsUrl).origin.replace(/^http/, 'ws');
  const headers = {
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    // Only this server and the broker's WebSocket: the page loads nothing from anywhere else.
    'content-security-policy': `default-src 'self'; connect-src 'self' ${wsOrigin}; img-src 'self' data: blob:; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  };
  const routes: Record<string, [type: string, body: string]> = {
    '/': ['text/html; charset=utf-8', page.html],
    '/index.html': ['text/html; charset=utf-8', page.html],
    '/app.js': ['text/javascript; charset=utf-8', page.js],
    '/app.css': ['text/css; charset=utf-8', page.css],
    '/config.json': ['application/json', JSON.stringify(config)],
  };
  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const route = routes[path];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('only GET\n');
    } else if (!route) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end(`no such page: ${path}\n`);
    } else {
      response.writeHead(200, { ...headers, 'content-type': route[0] }).end(request.method === 'HEAD' ? undefined : route[1]);
    }
  };
  const server = createServer(handle);
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new WebPortInUseError(`port ${options.port} is in use: choose another with --web-port N (0 picks a free one)`) : error),
    );
    server.listen(options.port, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
  return {
    port,
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
