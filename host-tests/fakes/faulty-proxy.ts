// A TCP proxy on loopback between a client and a real broker that breaks the link on purpose:
//   - cuts: it closes each connection after a few kilobytes (either way), mid-packet or not, as a
//     flaky radio link would. Cuts come from a seeded generator, so a failing run can be repeated.
//   - fault(kind): it makes the connections open now go silently dead, the ways a real path dies
//     without either end being told (no FIN, no RST reaches the client):
//       'half-open'      nothing passes either way; both sockets stay open (a route or middlebox died);
//       'broker-silent'  the client's bytes reach the broker, nothing comes back (a broker that hangs
//                        but keeps the socket);
//       'nat-rebind'     a NAT forgot the mapping: what the broker sends is dropped, and what the client
//                        sends leaves on a new mapping, i.e. a new connection the broker sees start
//                        without CONNECT and refuses; that refusal is dropped too.
//     Connections opened afterwards are healthy again, as after a reconnect over a fresh path.
// It stops when closed.
import net from 'node:net';

export type LinkFault = 'half-open' | 'broker-silent' | 'nat-rebind';

export interface FaultyProxy {
  port: number;
  /** Connections cut so far. */
  cuts: number;
  /** Connections accepted so far. */
  connections: number;
  /** Makes every connection open now silently dead in the given way. */
  fault(kind: LinkFault): void;
  close(): Promise<void>;
}

export interface FaultyProxyOptions {
  /** Cut each connection after a random budget of bytes (default true). */
  cuts?: boolean;
  seed?: number;
  minBytes?: number;
  maxBytes?: number;
}

interface Connection {
  client: net.Socket;
  upstream: net.Socket;
  fault: LinkFault | undefined;
  /** nat-rebind: where the client's bytes go now. */
  rebound: net.Socket | undefined;
}

export async function startFaultyProxy(targetPort: number, options: FaultyProxyOptions = {}): Promise<FaultyProxy> {
  let seed = options.seed ?? 1234567;
  const random = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 4294967296;
  };
  const { cuts = true, minBytes = 500, maxBytes = 6000 } = options;
  const sockets = new Set<net.Socket>();
  const open = new Set<Connection>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    return socket;
  };
  const proxy: FaultyProxy = {
    port: 0,
    cuts: 0,
    connections: 0,
    fault(kind) {
      for (const connection of open) {
        if (connection.fault) continue;
        connection.fault = kind;
        if (kind === 'nat-rebind') connection.rebound = track(net.connect(targetPort, '127.0.0.1')).on('data', () => {});
      }
    },
    close: async () => {},
  };
  const server = net.createServer((client) => {
    proxy.connections++;
    const upstream = net.connect(targetPort, '127.0.0.1');
    const connection: Connection = { client: track(client), upstream: track(upstream), fault: undefined, rebound: undefined };
    open.add(connection);
    // Bytes (either way) until this connection is cut.
    let budget = cuts ? Math.floor(minBytes + random() * (maxBytes - minBytes)) : Infinity;
    const cut = () => {
      proxy.cuts++;
      client.destroy();
      upstream.destroy();
    };
    const forward = (chunk: Buffer, to: net.Socket) => {
      if (budget <= 0) return;
      if (chunk.length >= budget) {
        to.write(chunk.subarray(0, budget));
        budget = 0;
        setImmediate(cut);
        return;
      }
      budget -= chunk.length;
      to.write(chunk);
    };
    client.on('data', (chunk: Buffer) => {
      if (connection.fault === 'half-open') return;
      if (connection.fault === 'nat-rebind') connection.rebound?.write(chunk);
      else forward(chunk, upstream);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!connection.fault) forward(chunk, client);
    });
    // A healthy link passes a close on; a dead one tells nobody anything.
    const closeBoth = () => {
      open.delete(connection);
      if (connection.fault) return;
      client.destroy();
      upstream.destroy();
    };
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
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
