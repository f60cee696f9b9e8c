// npm run ota -- <command>
//
//   keygen [--out DIR]                    make a key pair: ota-private.pem (keep it secret) and the
//                                         public key to build into the firmware (otaPublicKey)
//   sign IMAGE --version V --board B --url URL [--key ota-private.pem] [--rollback]
//                                         write IMAGE.manifest.json, the signed update manifest
//   serve DIR [--port 8080] [--host 127.0.0.1] [--rate KB_PER_S]
//                                         serve the images in DIR over HTTP, with Range (resumable);
//                                         --rate sends no faster than a slow field link would
//   push MANIFEST --broker URL [--id sensor1] [--timeout 300]
//                                         send the manifest to <id>/cmd/ota and follow <id>/ota until
//                                         the update finishes or fails
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MqttClient } from '../../src/mqtt/client';
import { nodeClock } from '../../src/platform/node/clock';
import { nodeSocketFactory } from '../../src/platform/node/socket';
import { startImageServer } from './image-server';
import { generateKeyPair, manifestFor } from './signing';

class UsageError extends Error {}

function keygen(args: string[]): number {
  const { values } = parseArgs({ args, options: { out: { type: 'string', default: '.' } } });
  const dir = values.out!;
  mkdirSync(dir, { recursive: true });
  const privateFile = path.join(dir, 'ota-private.pem');
  if (existsSync(privateFile)) throw new UsageError(`${privateFile} exists: refusing to overwrite a signing key`);
  const keys = generateKeyPair();
  writeFileSync(privateFile, keys.privateKeyPem);
  chmodSync(privateFile, 0o600);
  writeFileSync(path.join(dir, 'ota-public.hex'), `${keys.publicKeyHex}\n`);
  console.log(`wrote ${privateFile} (keep it off the devices and out of git) and ota-public.hex`);
  console.log(`build the public key into the firmware: set "otaPublicKey": "${keys.publicKeyHex}" in boards/esp32/manifest.json`);
  return 0;
}

function sign(args: string[]): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      version: { type: 'string' },
      board: { type: 'string' },
      url: { type: 'string' },
      key: { type: 'string', default: 'ota-private.pem' },
      rollback: { type: 'boolean', default: false },
    },
  });
  const image = positionals[0];
  if (!image || !values.version || !values.board || !values.url) throw new UsageError('sign needs IMAGE --version V --board B --url URL');
  const manifest = manifestFor(
    new Uint8Array(readFileSync(image)),
    { version: values.version, board: values.board, url: values.url, ...(values.rollback ? { rollback: true } : {}) },
    readFileSync(values.key!, 'utf8'),
  );
  const out = `${image}.manifest.json`;
  writeFileSync(out, `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`wrote ${out}`);
  return 0;
}

async function serve(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { port: { type: 'string', default: '8080' }, host: { type: 'string', default: '127.0.0.1' }, rate: { type: 'string' } },
  });
  if (!positionals[0]) throw new UsageError('serve needs the directory of images');
  const rate = values.rate === undefined ? undefined : Number(values.rate);
  if (rate !== undefined && !(rate > 0)) throw new UsageError(`--rate must be a number of kilobytes per second above 0, not ${values.rate}`);
  const server = await startImageServer(positionals[0], { port: Number(values.port), host: values.host!, rateBytesPerS: rate && rate * 1024, log: console.log });
  console.log(`serving ${path.resolve(positionals[0])} on ${server.url} — Ctrl-C stops`);
  await new Promise((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve));
  await server.close();
  return 0;
}

async function push(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { broker: { type: 'string' }, id: { type: 'string', default: 'sensor1' }, timeout: { type: 'string', default: '300' } },
  });
  const match = /^mqtt:\/\/([^:/]+)(?::(\d+))?/.exec(values.broker ?? '');
  if (!positionals[0] || !match) throw new UsageError('push needs MANIFEST --broker mqtt://host:port');
  const manifest = JSON.parse(readFileSync(positionals[0], 'utf8')) as Record<string, unknown>;
  const id = values.id!;
  const client = new MqttClient({ host: match[1], port: Number(match[2] ?? 1883), clientId: `ota-push-${process.pid}` }, { socket: nodeSocketFactory, clock: nodeClock });
  return new Promise((resolve) => {
    const done = (code: number) => {
      client.end();
      resolve(code);
    };
    const timer = setTimeout(() => {
      console.error(`no final word from ${id} within ${values.timeout} s`);
      done(1);
    }, Number(values.timeout) * 1000);
    client.on('message', ({ topic, payload }) => {
      const text = new TextDecoder().decode(payload);
      console.log(`${topic}: ${text}`);
      if (topic === `${id}/reply` && JSON.parse(text).ok === false) {
        clearTimeout(timer);
        done(1);
      } else if (topic === `${id}/ota` && /^(updated to|failed:|rolled back)/.test(text)) {
        clearTimeout(timer);
        done(text.startsWith('updated to') ? 0 : 1);
      }
    });
    client.on('error', (error) => console.error(`mqtt: ${error.message}`));
    client.on('connect', () => {
      client.subscribe([{ filter: `${id}/ota`, qos: 1 }, { filter: `${id}/reply`, qos: 1 }]);
    });
    client.on('subscribed', () => client.publish(`${id}/cmd/ota`, JSON.stringify({ id: `push-${Date.now()}`, ...manifest }), 1));
    client.connect();
  });
}

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  switch (command) {
    case 'keygen':
      return keygen(rest);
    case 'sign':
      return sign(rest);
    case 'serve':
      return serve(rest);
    case 'push':
      return push(rest);
    default:
      throw new UsageError('usage: npm run ota -- keygen | sign IMAGE --version V --board B --url URL | serve DIR [--rate KB_PER_S] | push MANIFEST --broker URL [--id ID]');
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error instanceof UsageError ? error.message : `error: ${error.message}`);
    process.exit(2);
  },
);
