// A TCP proxy on loopback between the node and the broker that the soak drives to break the link in
// the ways a radio link breaks: a reset, a half-open black hole, a stall, 1-byte fragments, a slow
// link. Modes apply to bytes in both directions; new connections always get through (a black hole
// swallows only the connections open when it starts, as a dead route would).
import net from 'node:net';

/** One direction of one connection: bytes wait here and go out as the proxy's mode allows. */
class Pipe {
  readonly #to: net.Socket;
  readonly #proxy: FaultProxy;
  #queue: Buffer[] = [];
  #busy = false;
  /** A black-holed pipe swallows everything, forever. */
  dead = false;

  constructor(to: net.Socket, proxy: FaultProxy) {
    this.#to = to;
    this.#proxy = proxy;
  }

  push(chunk: Buffer): void {
    if (this.dead) return;
    this.#queue.push(chunk);
    this.flush();
  }

  flush(): void {
    if (this.#busy || this.dead || this.#to.destroyed) return;
    const proxy = this.#proxy;
    while (this.#queue.length > 0 && !proxy.stalled) {
      const head = this.#queue[0];
      let count = head.length;
      if (proxy.fragmenting) count = 1;
      if (proxy.bytesPerSecond !== undefined) count = Math.min(count, Math.max(1, Math.floor(proxy.bytesPerSecond / 20)));
      this.#to.write(head.subarray(0, count));
      if (count === head.length) this.#queue.shift();
      else this.#queue[0] = head.subarray(count);
      if (proxy.fragmenting || proxy.bytesPerSecond !== undefined) {
        // Pace the next piece: one byte per turn of the event loop, or the link's rate.
        this.#busy = true;
        const next = () => {
          this.#busy = false;
          this.flush();
        };
        if (proxy.bytesPerSecond !== undefined) setTimeout(next, (count / proxy.bytesPerSecond) * 1000);
        else setImmediate(next);
        return;
      }
    }
  }
}

interface Connection {
  client: net.Socket;
  upstream: net.Socket;
  pipes: Pipe[];
}

export class FaultProxy {
  readonly port: number;
  readonly #server: net.Server;
  readonly #connections = new Set<Connection>();
  /** Hold every byte until resume(). */
  stalled = false;
  /** Forward one byte at a time. */
  fragmenting = false;
  /** Forward at most this many bytes a second (each way); undefined: as fast as they come. */
  bytesPerSecond: number | undefined;
  /** Connections accepted since start. */
  accepted = 0;

  private constructor(server: net.Server, port: number) {
    this.#server = server;
    this.port = port;
  }

  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<FaultProxy> {
    const holder: { proxy?: FaultProxy } = {};
    const server = net.createServer((client) => holder.proxy!.#accept(client, targetPort, targetHost));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    holder.proxy = new FaultProxy(server, (server.address() as net.AddressInfo).port);
    return holder.proxy;
  }

  #accept(client: net.Socket, targetPort: number, targetHost: string): void {
    this.accepted++;
    const upstream = net.connect(targetPort, targetHost);
    const toUpstream = new Pipe(upstream, this);
    const toClient = new Pipe(client, this);
    const connection: Connection = { client, upstream, pipes: [toUpstream, toClient] };
    this.#connections.add(connection);
    client.on('data', (chunk: Buffer) => toUpstream.push(chunk));
    upstream.on('data', (chunk: Buffer) => toClient.push(chunk));
    const close = () => {
      if (!this.#connections.delete(connection)) return;
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on('error', () => {});
      socket.on('close', () => {
        // A black hole keeps the node's side open: it must find out by itself (keepalive).
        if (connection.pipes[0].dead) {
          this.#connections.delete(connection);
          return;
        }
        close();
      });
    }
  }

  get openConnections(): number {
    return this.#connections.size;
  }

  /** Resets every open connection (TCP RST to the node, the broker's side closed). */
  reset(): void {
    for (const connection of [...this.#connections]) {
      this.#connections.delete(connection);
      connection.client.resetAndDestroy();
      connection.upstream.destroy();
    }
  }

  /**
   * The route dies without a word: bytes on the open connections vanish both ways and nothing is
   * closed, so neither end notices until its keepalive runs out. The broker's side is closed after
   * `brokerGivesUpMs` (its own keepalive would do it); the node's side stays open until the node
   * closes it.
   */
  blackHole(brokerGivesUpMs: number): void {
    for (const connection of this.#connections) {
      for (const pipe of connection.pipes) pipe.dead = true;
      setTimeout(() => connection.upstream.destroy(), brokerGivesUpMs).unref();
    }
  }

  stall(): void {
    this.stalled = true;
  }

  resume(): void {
    this.stalled = false;
    this.#flushAll();
  }

  fragment(on: boolean): void {
    this.fragmenting = on;
    this.#flushAll();
  }

  throttle(bytesPerSecond: number | undefined): void {
    this.bytesPerSecond = bytesPerSecond;
    this.#flushAll();
  }

  #flushAll(): void {
    for (const connection of this.#connections) for (const pipe of connection.pipes) pipe.flush();
  }

  close(): Promise<void> {
    for (const connection of this.#connections) {
      connection.client.destroy();
      connection.upstream.destroy();
    }
    this.#connections.clear();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
