// An Aedes broker inside this process, on loopback ports (MQTT over TCP, and MQTT over WebSocket with
// the subprotocol "mqtt" and binary frames for the ground station page), enforcing the fleet's access
// policy (host/broker/policy.ts) on both exactly as the shipped Mosquitto configuration does:
//   CONNECT    only an account's own password logs in (CONNACK 5 otherwise, as Mosquitto answers);
//              the client's id becomes its username (Mosquitto: use_username_as_clientid), so no
//              client can take over another's session
//   PUBLISH    a topic the account may not write is acknowledged and dropped, as Mosquitto does
//              (MQTT-3.3.5-2 allows that or closing the connection; closing would make a client
//              resend the same refused message after every reconnect)
//   SUBSCRIBE  a filter that can match nothing the account may read is refused in the SUBACK (0x80)
//   delivery   every message, retained or queued ones too, goes only to accounts that may read it
// It can also "disappear" (both listeners close and every connection is cut) and come back on the same
// ports with its sessions intact, which is how `npm start -- --scenario outage` shows the node's backlog
// arrive and the page fill its gap.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { WebSocketServer, createWebSocketStream, type WebSocket } from 'ws';
import { mayPublish, mayReceive, maySubscribe, rulesFor, type Account, type AclRule, type Principal } from './broker/policy';

export interface Refusal {
  kind: 'login' | 'publish' | 'subscribe';
  /** The username the client gave (absent for an anonymous client); never a password. */
  username?: string;
  topic?: string;
  reason: string;
}

export interface BrokerAccess {
  /** The device ids whose topics the ground parties may reach. */
  fleet: string[];
  accounts: Account[];
  /** Told of every refusal, for the live view and the tests. */
  onRefused?: (refusal: Refusal) => void;
}

export interface EmbeddedBroker {
  port: number;
  url: string;
  /** MQTT over WebSocket: ws://127.0.0.1:<wsPort>/mqtt (any path is accepted, as Mosquitto does). */
  wsPort: number;
  wsUrl: string;
  /** The accounts that log in here (generated per run by `npm start`). */
  accounts: readonly Account[];
  goDown(): Promise<void>;
  comeBack(): Promise<void>;
  close(): Promise<void>;
}

/** Where a refused publish goes: no rule of anyone starts with `$`, so nothing can receive it. */
const SINK_TOPIC = '$refused';

/** The subprotocols a client may ask for: "mqtt" (3.1.1) and the older "mqttv3.1". */
const MQTT_SUBPROTOCOLS = ['mqtt', 'mqttv3.1'];

const digest = (bytes: string | Buffer) => createHash('sha256').update(bytes).digest();

export async function startEmbeddedBroker(options: { access: BrokerAccess; port?: number; wsPort?: number }): Promise<EmbeddedBroker> {
  const { fleet, accounts, onRefused = () => {} } = options.access;
  const byUsername = new Map(accounts.map((account) => [account.username, account]));
  const granted = new WeakMap<Client, { principal: Principal; rules: AclRule[] }>();
  const refuseLogin = (username: string | undefined, reason: string): AuthenticateError => {
    onRefused({ kind: 'login', ...(username === undefined ? {} : { username }), reason });
    return Object.assign(new Error(reason), { returnCode: 5 as AuthenticateError['returnCode'] });
  };

  const aedes = await Aedes.createBroker({
    authenticate(client, username, password, done) {
      const account = username === undefined ? undefined : byUsername.get(username);
      // Compare digests: equal lengths for timingSafeEqual, and no early exit on the first wrong byte.
      if (!account || !password || !timingSafeEqual(digest(password), digest(account.password))) {
        done(refuseLogin(username, username === undefined ? 'no username' : account ? 'wrong password' : 'unknown user'), false);
        return;
      }
      granted.set(client, { principal: account, rules: rulesFor(account, fleet) });
      // The session is the account's, whatever id the client asked for (see policy.ts, "Client ids").
      (client as { id: string }).id = account.username;
      done(null, true);
    },
    authorizePublish(client, packet, done) {
      const rules = client ? granted.get(client)?.rules : undefined;
      if (!rules || !mayPublish(rules, packet.topic)) {
        onRefused({ kind: 'publish', ...(client ? { username: client.id } : {}), topic: packet.topic, reason: 'not allowed to publish there' });
        packet.topic = SINK_TOPIC;
        packet.retain = false;
      }
      done(null);
    },
    authorizeSubscribe(client, subscription, done) {
      const rules = granted.get(client)?.rules;
      if (rules && maySubscribe(rules, subscription.topic)) {
        done(null, subscription);
        return;
      }
      onRefused({ kind: 'subscribe', username: client.id, topic: subscription.topic, reason: 'nothing there it may receive' });
      done(null, null);
    },
    authorizeForward(client, packet) {
      const rules = granted.get(client)?.rules;
      return rules && mayReceive(rules, packet.topic) ? packet : null;
    },
  });

  const sockets = new Set<Socket>();
  const webSockets = new Set<WebSocket>();
  let server: Server | undefined;
  let wsServer: HttpServer | undefined;
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => MQTT_SUBPROTOCOLS.find((p) => protocols.has(p)) ?? false,
  });
  wss.on('connection', (ws, request) => {
    webSockets.add(ws);
    ws.on('close', () => webSockets.delete(ws));
    const stream = createWebSocketStream(ws);
    stream.on('error', () => ws.terminate()); // a cut link; Aedes sees the stream end
    aedes.handle(stream, request);
  });
  const listenOn = (s: Server | HttpServer, onPort: number) =>
    new Promise<number>((resolve, reject) => {
      s.once('error', reject);
      s.listen(onPort, '127.0.0.1', () => resolve((s.address() as { port: number }).port));
    });
  const listen = async (onPort: number, onWsPort: number) => {
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      aedes.handle(socket);
    });
    const tcpPort = await listenOn(server, onPort);
    wsServer = createHttpServer((_request, response) => {
      response.writeHead(426, { 'content-type': 'text/plain' }).end('This is an MQTT over WebSocket endpoint: connect with the subprotocol "mqtt".\n');
    });
    wsServer.on('upgrade', (request, socket, head) => {
      const offered = String(request.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
      if (!offered.some((p) => MQTT_SUBPROTOCOLS.includes(p))) {
        socket.end('HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nMQTT over WebSocket needs the subprotocol "mqtt" (MQTT 3.1.1 section 6).\n');
        return;
      }
      wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
    });
    const webPort = await listenOn(wsServer, onWsPort);
    return { tcpPort, webPort };
  };
  const { tcpPort, webPort } = await listen(options.port ?? 0, options.wsPort ?? 0);
  const closeServer = (s: Server | HttpServer | undefined) => new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve()));
  const goDown = async () => {
    for (const socket of sockets) socket.destroy();
    for (const ws of webSockets) ws.terminate();
    wsServer?.closeAllConnections();
    const closing = [closeServer(server), closeServer(wsServer)];
    server = undefined;
    wsServer = undefined;
    await Promise.all(closing);
  };
  return {
    port: tcpPort,
    url: `mqtt://127.0.0.1:${tcpPort}`,
    wsPort: webPort,
    wsUrl: `ws://127.0.0.1:${webPort}/mqtt`,
    accounts,
    goDown,
    comeBack: async () => {
      await listen(tcpPort, webPort);
    },
    close: async () => {
      await goDown();
      wss.close();
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}
