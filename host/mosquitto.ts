// Starts a real Mosquitto broker on a free loopback port, for a test suite or the soak (which also
// kills it with SIGKILL and starts it again on the same port): with a config file of its own
// (startMosquitto) or with one `npm run broker -- config` wrote (startMosquittoWithConfig).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface MosquittoOptions {
  /** username → password; when given, anonymous clients are refused. */
  users?: Record<string, string>;
  /** Largest packet the broker accepts (bytes). */
  maxPacketSize?: number;
  /** Also listen with TLS using these PEM files. */
  tls?: { certFile: string; keyFile: string };
  /** Keep sessions and retained messages across restart() (on disk in the broker's directory). */
  persistence?: boolean;
  /** With persistence: save the store after every change, not only at exit (what survives kill -9). */
  saveEveryChange?: boolean;
  /** Also listen for MQTT over WebSocket (the ground station page) on a free port. */
  websockets?: boolean;
}

export interface Mosquitto {
  port: number;
  tlsPort: number | undefined;
  /** The WebSocket listener's port, with `websockets`. */
  wsPort: number | undefined;
  url: string;
  /** Stops the broker (SIGTERM: it saves its store); start() or restart() brings it back on the same port. */
  stop(): Promise<void>;
  /** Kills the broker with SIGKILL, as a crash or a power cut would: no goodbye, no final save. */
  kill(): Promise<void>;
  start(): Promise<void>;
  /** Stops the broker and removes its directory. */
  close(): Promise<void>;
  restart(): Promise<void>;
  /** Asks it to re-read its password and acl files (SIGHUP). */
  reload(): void;
  log(): string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, output: () => string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited (${child.exitCode}): ${output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`mosquitto did not open port ${port}: ${output()}`);
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'altimeter-mosquitto-'));
  // Started as root, mosquitto drops to its own user: it must still read its files and write its store.
  chmodSync(dir, 0o777);
  const port = await freePort();
  const tlsPort = options.tls ? await freePort() : undefined;
  const wsPort = options.websockets ? await freePort() : undefined;
  const lines = [`listener ${port} 127.0.0.1`, `persistence ${options.persistence ? 'true' : 'false'}`];
  if (options.persistence) lines.push(`persistence_location ${dir}/`);
  if (options.persistence && options.saveEveryChange) lines.push('autosave_on_changes true', 'autosave_interval 1');
  if (options.maxPacketSize) lines.push(`max_packet_size ${options.maxPacketSize}`);
  if (options.users) {
    const passwordFile = path.join(dir, 'passwords');
    writeFileSync(passwordFile, '');
    for (const [user, password] of Object.entries(options.users)) {
      execFileSync('mosquitto_passwd', ['-b', passwordFile, user, password]);
    }
    chmodSync(passwordFile, 0o644);
    lines.push('allow_anonymous false', `password_file ${passwordFile}`);
  } else {
    lines.push('allow_anonymous true');
  }
  if (options.tls && tlsPort) {
    lines.push(`listener ${tlsPort} 127.0.0.1`, `certfile ${options.tls.certFile}`, `keyfile ${options.tls.keyFile}`);
    if (!options.users) lines.push('allow_anonymous true');
  }
  if (wsPort) {
    // Mosquitto 2.0's WebSocket listener (libwebsockets) binds to an interface name, not an address,
    // and only starts beside a plain listener: the README's config has the same two listeners.
    lines.push(`listener ${wsPort} lo`, 'protocol websockets');
    if (!options.users) lines.push('allow_anonymous true');
  }
  const configFile = path.join(dir, 'mosquitto.conf');
  writeFileSync(configFile, `${lines.join('\n')}\n`);
  return runMosquitto(configFile, { port, tlsPort, wsPort, removeOnClose: dir });
}

/**
 * Runs Mosquitto on a configuration written elsewhere (`npm run broker -- config DIR --port P
 * --bind 127.0.0.1`, with free ports from freePort()). Started as root, Mosquitto switches to its
 * own user before it reads the password file: the files are handed to that user, as the README tells
 * an operator to do, so they can stay readable by their owner only.
 */
export async function startMosquittoWithConfig(dir: string, ports: { port: number; tlsPort?: number; wsPort?: number }): Promise<Mosquitto> {
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'mosquitto']).toString());
    const gid = Number(execFileSync('id', ['-g', 'mosquitto']).toString());
    for (const name of ['passwd', 'acl', 'data']) chownSync(path.join(dir, name), uid, gid);
    chmodSync(dir, 0o755);
  }
  return runMosquitto(path.join(dir, 'mosquitto.conf'), { port: ports.port, tlsPort: ports.tlsPort, wsPort: ports.wsPort });
}

async function runMosquitto(configFile: string, where: { port: number; tlsPort?: number; wsPort?: number; removeOnClose?: string }): Promise<Mosquitto> {
  const { port, tlsPort, wsPort } = where;
  let output = '';
  let child: ChildProcess;
  const launch = async () => {
    child = spawn('mosquitto', ['-c', configFile, '-v'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    await waitForPort(port, child, () => output);
  };
  await launch();
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  };
  const stop = () => end('SIGTERM');
  return {
    port,
    tlsPort,
    wsPort,
    url: `mqtt://127.0.0.1:${port}`,
    stop,
    kill: () => end('SIGKILL'),
    start: launch,
    async restart() {
      await stop();
      await launch();
    },
    async close() {
      await stop();
      if (where.removeOnClose) rmSync(where.removeOnClose, { recursive: true, force: true });
    },
    reload() {
      child.kill('SIGHUP');
    },
    log: () => output,
  };
}
