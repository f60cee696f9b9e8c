// A TCP proxy on loopback that cuts connections at chosen points: between a client and a real
// broker, it makes a flaky radio link out of a good one. Cuts come from a seeded generator, so a
// failing run can be repeated; the proxy stops when closed.
import net from 'node:net';

export interface FaultyProxy {
  port: number;
  /** Connections cut so far. */
  cuts: number;
  close(): Promise<void>;
}

export async function startFaultyProxy(targetPort: number, options: { seed?: number; minBytes?: number; maxBytes?: number } = {}): Promise<FaultyProxy> {
  let seed = options.seed ?? 1234567;
  const random = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 4294967296;
  };
  const { minBytes = 500, maxBytes = 6000 } = options;
  const sockets = new Set<net.Socket>();
  const proxy: FaultyProxy = { port: 0, cuts: 0, close: async () => {} };
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    // Bytes (either way) until this connection is cut, mid-packet or not.
    let budget = Math.floor(minBytes + random() * (maxBytes - minBytes));
    const cut = () => {
      proxy.cuts++;
      client.destroy();
      upstream.destroy();
    };
    const pipe = (from: net.Socket, to: net.Socket) =>
      from.on('data', (chunk: Buffer) => {
        if (budget <= 0) return;
        if (chunk.length >= budget) {
          to.write(chunk.subarray(0, budget));
          budget = 0;
          setImmediate(cut);
          return;
        }
        budget -= chunk.length;
        to.write(chunk);
      });
    pipe(client, upstream);
    pipe(upstream, client);
    for (const s of [client, upstream]) {
      s.on('error', () => {});
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.port = (server.address() as net.AddressInfo).port;
  proxy.close = () =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return proxy;
}
