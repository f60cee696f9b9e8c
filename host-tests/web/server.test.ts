// The ground station's web server (host/web/server.ts): what it serves, that it hands the page its
// parties' accounts only when asked by a loopback name (a site that rebinds its own name to
// 127.0.0.1 gets nothing), and its answers to what it does not serve.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAccounts, SEATS, seatAccounts } from '../../host/broker/accounts';
import { startWebServer, type WebServer } from '../../host/web/server';
import type { PageConfig } from '../../host/web/page/page-config';

const accounts = generateAccounts(['sensor1'], SEATS.page);
let server: WebServer;
beforeAll(async () => {
  server = await startWebServer({ port: 0, deviceId: 'sensor1', wsUrl: 'ws://127.0.0.1:9001/mqtt', accounts: seatAccounts({ accounts }, SEATS.page), accountsFrom: 'this run' });
}, 60_000);
afterAll(async () => {
  await server?.close();
});

/** A request to the server with a Host header of our choosing (as a browser sends the name it was given). */
function get(path: string, host: string, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the ground station web server', () => {
  it("serves the page, its script and style, and /config.json with each party's page seat", async () => {
    const local = `127.0.0.1:${server.port}`;
    const page = await get('/', local);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<script type="module" src="/app.js">');
    expect(page.headers['content-security-policy']).toContain("connect-src 'self' ws://127.0.0.1:9001");
    expect((await get('/app.js', local)).body.length).toBeGreaterThan(10_000);
    const config = JSON.parse((await get('/config.json', `localhost:${server.port}`)).body) as PageConfig;
    expect(config.parties.map((p) => [p.role, p.username])).toEqual([
      ['crew', 'crew-2'], ['air-traffic-control', 'air-traffic-control-2'], ['maritime-patrol', 'maritime-patrol-2'], ['news-station', 'news-station-2'],
    ]);
    expect(config.parties[0].password).toBe(accounts.find((a) => a.username === 'crew-2')!.password);
    expect(config.accountsFrom).toBe('this run');
  });

  it('answers a request addressed to any other name with 421 and no accounts (DNS rebinding)', async () => {
    for (const host of [`attacker.example:${server.port}`, 'attacker.example', `127.0.0.1.nip.io:${server.port}`]) {
      const response = await get('/config.json', host);
      expect(response.status).toBe(421);
      expect(response.body).not.toContain('password');
    }
  });

  it('refuses other methods and names the page it does not have', async () => {
    const local = `127.0.0.1:${server.port}`;
    const post = await get('/config.json', local, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    const missing = await get('/nothing', local);
    expect(missing.status).toBe(404);
    expect(missing.body).toBe('no such page: /nothing\n');
  });
});
