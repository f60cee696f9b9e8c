// An Aedes broker inside this process, on a loopback port. It can "disappear" (the listener closes
// and every connection is cut) and come back on the same port with its sessions intact, which is
// how `npm start -- --scenario outage` shows the node's backlog arrive.
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';

export interface EmbeddedBroker {
  port: number;
  url: string;
  goDown(): Promise<void>;
  comeBack(): Promise<void>;
  close(): Promise<void>;
}

export async function startEmbeddedBroker(port = 0): Promise<EmbeddedBroker> {
  const aedes = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const listen = (onPort: number) =>
    new Promise<number>((resolve, reject) => {
      const s = createServer((socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        aedes.handle(socket);
      });
      s.once('error', reject);
      s.listen(onPort, '127.0.0.1', () => resolve((s.address() as { port: number }).port));
      server = s;
    });
  const actualPort = await listen(port);
  const goDown = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      if (!server) return resolve();
      server.close(() => resolve());
      server = undefined;
    });
  return {
    port: actualPort,
    url: `mqtt://127.0.0.1:${actualPort}`,
    goDown,
    comeBack: async () => {
      await listen(actualPort);
    },
    close: async () => {
      await goDown();
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}
