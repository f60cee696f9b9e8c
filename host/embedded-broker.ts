// An Aedes broker inside this process, on loopback ports: MQTT over TCP, and MQTT over WebSocket
// (subprotocol "mqtt", binary frames) for the ground station page. It can "disappear" (both
// listeners close and every connection is cut) and come back on the same ports with its sessions
// intact, which is how `npm start -- --scenario outage` shows the node's backlog arrive and the
// page fill its gap.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import { WebSocketServer, createWebSocketStream, type WebSocket } from 'ws';

export interface EmbeddedBroker {
  port: number;
  url: string;
  /** MQTT over WebSocket: ws://127.0.0.1:<wsPort>/mqtt (any path is accepted, as Mosquitto does). */
  wsPort: number;
  wsUrl: string;
  goDown(): Promise<void>;
  comeBack(): Promise<void>;
  close(): Promise<void>;
}

/** The subprotocols a client may ask for: "mqtt" (3.1.1) and the older "mqttv3.1". */
const MQTT_SUBPROTOCOLS = ['mqtt', 'mqttv3.1'];

export async function startEmbeddedBroker(port = 0, wsPort = 0): Promise<EmbeddedBroker> {
  const aedes = await Aedes.createBroker();
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
  const { tcpPort, webPort } = await listen(port, wsPort);
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
