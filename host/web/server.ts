// The ground station's web server, in the `npm start` process: the page (built at start), and
// /config.json telling it where the broker's WebSocket listener is and which parties there are.
//
// Accounts. /config.json also carries each party's page account when this process has one: the
// per-run accounts of the embedded broker, or those of parties.json given with --credentials. That
// hands passwords to whoever can fetch it, which is acceptable for a local demo because:
//   - the server listens on 127.0.0.1 only, so only this computer reaches it, and this computer
//     already holds every one of those passwords (in this process's memory, or in parties.json);
//   - it answers only requests addressed to 127.0.0.1 or localhost (the Host header), so a web site
//     that rebinds its own name to 127.0.0.1 (DNS rebinding) cannot read it from a browser; another
//     site's scripts cannot read it anyway (no CORS header);
//   - the embedded broker's accounts live as long as the run: they open nothing once it ends.
// It is not acceptable on a computer shared with people who must not see the flight (any local user
// can fetch 127.0.0.1): there, and against an external broker without --credentials, the user types
// the party's username and password (from parties.json) into the page instead.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { GROUND_ROLES, type Account, type GroundRole } from '../broker/policy';
import { buildPage } from './build';
import type { PageConfig, PartyConfig } from './page/page-config';

export interface WebServerOptions {
  /** 0 picks a free port. */
  port: number;
  deviceId: string;
  /** The broker's MQTT-over-WebSocket URL as the browser must use it. */
  wsUrl: string;
  /** Each party's page account, offered to the page (see "Accounts" above). */
  accounts?: Partial<Record<GroundRole, Account>>;
  /** Where those accounts come from, as the login form says it (e.g. "this run's embedded broker"). */
  accountsFrom?: string;
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
  const parties = GROUND_ROLES.map((role): PartyConfig => {
    const account = options.accounts?.[role];
    return account ? { role, username: account.username, password: account.password } : { role };
  });
  const offered = parties.some((p) => p.username !== undefined);
  const config: PageConfig = { deviceId: options.deviceId, wsUrl: options.wsUrl, parties, ...(offered && options.accountsFrom ? { accountsFrom: options.accountsFrom } : {}) };
  const wsOrigin = new URL(options.wsUrl).origin.replace(/^http/, 'ws');
  const headers = {
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
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
  let port = 0;
  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const route = routes[path];
    if (!isLocalHost(request.headers.host, port)) {
      response.writeHead(421, { 'content-type': 'text/plain' }).end(`this server answers http://127.0.0.1:${port}/ and http://localhost:${port}/ only\n`);
    } else if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('only GET\n');
    } else if (!route) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end(`no such page: ${path}\n`);
    } else {
      response.writeHead(200, { ...headers, 'content-type': route[0] }).end(request.method === 'HEAD' ? undefined : route[1]);
    }
  };
  const server = createServer(handle);
  port = await new Promise<number>((resolve, reject) => {
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

/** Is the request addressed to this computer by one of its loopback names (not some other name that resolves here)? */
function isLocalHost(host: string | undefined, port: number): boolean {
  return host === `127.0.0.1:${port}` || host === `localhost:${port}` || host === `[::1]:${port}`;
}
