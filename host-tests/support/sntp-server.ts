// A minimal SNTP server (RFC 4330, server mode 4) for the simulator's SNTP client: it answers with a
// date of the test's choosing. The SDK's client always asks on port 123, so each server binds its
// own loopback address (127.x.y.z) instead of a port of its own, and suites running side by side do
// not collide.
import dgram from 'node:dgram';

export interface SntpServer {
  address: string;
  /** Requests received so far. */
  readonly requests: number;
  /** The date it answers with now (ms since the epoch). */
  dateMs(): number;
  close(): Promise<void>;
}

const NTP_EPOCH_OFFSET_S = 2_208_988_800; // 1900-01-01 to 1970-01-01

/** Answers with `epochMs` plus the time since the server started, after ignoring `ignoreFirst` requests. */
export async function startSntpServer(epochMs: number, options: { ignoreFirst?: number } = {}): Promise<SntpServer> {
  const startedMs = Date.now();
  const dateMs = () => epochMs + Date.now() - startedMs;
  let requests = 0;
  const answer = (socket: dgram.Socket) => (message: Buffer, remote: dgram.RemoteInfo) => {
    requests++;
    if (message.length < 48 || (message[0] & 7) !== 3 || requests <= (options.ignoreFirst ?? 0)) return;
    const reply = Buffer.alloc(48);
    reply[0] = (4 << 3) | 4; // version 4, server
    reply[1] = 1; // stratum 1 (0 would be a kiss-of-death)
    const seconds = Math.floor(dateMs() / 1000) + NTP_EPOCH_OFFSET_S;
    for (const offset of [16, 32, 40]) reply.writeUInt32BE(seconds >>> 0, offset); // reference, receive, transmit
    socket.send(reply, remote.port, remote.address);
  };
  for (let attempt = 0; ; attempt++) {
    const socket = dgram.createSocket('udp4');
    socket.on('message', answer(socket));
    const address = `127.${1 + Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(123, address, () => {
          socket.off('error', reject);
          resolve();
        });
      });
      return {
        address,
        dateMs,
        get requests() {
          return requests;
        },
        close: () => new Promise((resolve) => socket.close(() => resolve())),
      };
    } catch (error) {
      socket.close();
      if (attempt > 20) throw error;
    }
  }
}
