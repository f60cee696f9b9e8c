// An embedded Aedes broker on a free loopback port, for the suites that run against both brokers.
import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';

export interface EmbeddedBroker {
  port: number;
  url: string;
  close(): Promise<void>;
}

export async function startAedes(): Promise<EmbeddedBroker> {
  const aedes = await Aedes.createBroker();
  const server: Server = createServer(aedes.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close();
        aedes.close(() => resolve());
      }),
  };
}
