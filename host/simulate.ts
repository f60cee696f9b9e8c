// npm start — the whole system on one computer. For now: an embedded broker on a free loopback port
// that stops cleanly on Ctrl-C; the node and the ground subscribers join it as they are built.
import { createServer } from 'node:net';
import { Aedes } from 'aedes';

const aedes = await Aedes.createBroker();
const server = createServer(aedes.handle);
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`embedded broker listening on mqtt://127.0.0.1:${port} — Ctrl-C stops\n`);
});

const stop = () => {
  server.close();
  aedes.close(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
