// npm run ota -- <command>: update keys, signing, the image server and push (README "Over-the-air
// updates"). Usage below; conventions (--help, exit statuses) in host/command-line.ts.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseCommandLine, printHelp, runCommand, UsageError, wantsHelp } from '../command-line';
import { MqttClient } from '../../src/mqtt/client';
import { nodeClock } from '../../src/platform/node/clock';
import { nodeSocketFactory } from '../../src/platform/node/socket';
import { isDeviceId } from '../../src/app/topics';
import { utcTimeMs, utcTimeText } from '../../src/ota/manifest';
import { accountsFor, readParties, SEATS } from '../broker/accounts';
import { seatUsername, type Account } from '../broker/policy';
import { startImageServer } from './image-server';
import { generateKeyPair, manifestFor } from './signing';

const USAGE = `usage: npm run ota -- <command> [options]

  keygen [--out DIR]                    make a key pair: ota-private.pem (keep it secret) and the
                                        public key to build into the firmware (otaPublicKey)
  sign IMAGE --version V --board B --url URL (--device ID | --fleet) [--expires 24h] [--counter N]
       [--key ota-private.pem] [--rollback]
                                        write IMAGE.manifest.json, the signed update manifest, for
                                        one device or (deliberately) every device, valid until
                                        --expires (a duration: 30m, 24h, 7d; or a UTC time), with
                                        a counter that grows (default: the time of signing, in s)
  serve DIR [--port 8080] [--host 127.0.0.1]
                                        serve the images in DIR over HTTP, with Range (resumable)
  push MANIFEST --broker mqtt://HOST[:PORT] [--id sensor1] [--timeout 300] [--credentials parties.json [--as crew-4]]
                                        send the manifest to <id>/cmd/ota and follow <id>/ota until
                                        the update finishes or fails (exit 0 only when it updated);
                                        with --credentials, as the crew (the only party that may command)
                                        on the seat kept for pushes, ${seatUsername('crew', SEATS.otaPush)}, or the one --as names, so
                                        that the crew's ground station (${seatUsername('crew', SEATS.groundStation)}) and page (${seatUsername('crew', SEATS.page)})
                                        stay connected
  --help                                this text`;

/** A number option within bounds, or a UsageError naming it. */
function numberOption(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || value < min || value > max) throw new UsageError(`--${name} must be a number from ${min} to ${max}, not "${text}"`);
  return value;
}

/** Positional arguments beyond those a command takes are a mistake, not something to ignore. */
function onlyPositionals(command: string, positionals: string[], count: number): void {
  if (positionals.length > count) throw new UsageError(`${command} takes ${count} file argument${count === 1 ? '' : 's'}, not ${positionals.length}: ${positionals.join(' ')}`);
}

function keygen(args: string[]): number {
  const { values } = parseCommandLine({ args, options: { out: { type: 'string', default: '.' } } });
  const dir = values.out!;
  mkdirSync(dir, { recursive: true });
  const privateFile = path.join(dir, 'ota-private.pem');
  if (existsSync(privateFile)) throw new Error(`${privateFile} exists: refusing to overwrite a signing key`);
  const keys = generateKeyPair();
  writeFileSync(privateFile, keys.privateKeyPem, { mode: 0o600, flag: 'wx' }); // created private, never replaced
  chmodSync(privateFile, 0o600); // whatever the umask
  writeFileSync(path.join(dir, 'ota-public.hex'), `${keys.publicKeyHex}\n`);
  console.log(`wrote ${privateFile} (keep it off the devices and out of git) and ota-public.hex`);
  console.log(`build the public key into the firmware: set "otaPublicKey": "${keys.publicKeyHex}" in boards/esp32/manifest.json`);
  return 0;
}

function sign(args: string[]): number {
  const { values, positionals } = parseCommandLine({
    args,
    allowPositionals: true,
    options: {
      version: { type: 'string' },
      board: { type: 'string' },
      url: { type: 'string' },
      key: { type: 'string', default: 'ota-private.pem' },
      rollback: { type: 'boolean', default: false },
      device: { type: 'string' },
      fleet: { type: 'boolean', default: false },
      expires: { type: 'string', default: '24h' },
      counter: { type: 'string' },
    },
  });
  const image = positionals[0];
  if (!image || !values.version || !values.board || !values.url) throw new UsageError('sign needs IMAGE --version V --board B --url URL (--device ID | --fleet)');
  onlyPositionals('sign', positionals, 1);
  // The target is always chosen: one device, or every device of the fleet on purpose.
  if ((values.device === undefined) === !values.fleet) throw new UsageError('sign needs its target: --device ID for one device, or --fleet for every device (not both)');
  // "*" only through --fleet: a fleet-wide update is always asked for by name.
  if (values.device === '*') throw new UsageError('--device takes one device id; to sign for every device of the fleet, say --fleet');
  if (values.device !== undefined && !isDeviceId(values.device)) throw new UsageError(`--device must be a device id (1 to 32 letters, digits, "_" or "-"), not "${values.device}": every device would refuse the manifest`);
  const nowMs = Date.now();
  const duration = /^(\d+)([mhd])$/.exec(values.expires!);
  const expiresMs = duration ? nowMs + Number(duration[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[duration[2] as 'm' | 'h' | 'd'] : utcTimeMs(values.expires!);
  if (!(expiresMs > nowMs)) throw new UsageError(`--expires must be a duration (30m, 24h, 7d) or a future UTC time YYYY-MM-DDTHH:MM:SSZ, not "${values.expires}"`);
  const counter = values.counter === undefined ? Math.floor(nowMs / 1000) : Number(values.counter);
  if (!Number.isSafeInteger(counter) || counter < 1) throw new UsageError(`--counter must be a whole number, at least 1, not "${values.counter}"`);
  const manifest = manifestFor(
    new Uint8Array(readFileSync(image)),
    {
      version: values.version,
      board: values.board,
      url: values.url,
      ...(values.rollback ? { rollback: true } : {}),
      device: values.fleet ? '*' : values.device!,
      // Whole seconds: the manifest's time format has no fraction.
      expires: utcTimeText(Math.floor(expiresMs / 1000) * 1000),
      counter,
    },
    readFileSync(values.key!, 'utf8'),
  );
  const out = `${image}.manifest.json`;
  writeFileSync(out, `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`wrote ${out}: ${manifest.version} for ${manifest.device === '*' ? 'every device of the fleet' : `device ${manifest.device}`}, valid until ${manifest.expires}, counter ${manifest.counter}`);
  return 0;
}

async function serve(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine({ args, allowPositionals: true, options: { port: { type: 'string', default: '8080' }, host: { type: 'string', default: '127.0.0.1' } } });
  if (!positionals[0]) throw new UsageError('serve needs the directory of images');
  onlyPositionals('serve', positionals, 1);
  const port = numberOption('port', values.port!, 0, 65535);
  const server = await startImageServer(positionals[0], { port, host: values.host!, log: console.log });
  console.log(`serving ${path.resolve(positionals[0])} on ${server.url} — Ctrl-C stops`);
  await new Promise((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve));
  await server.close();
  return 0;
}

async function push(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine({
    args,
    allowPositionals: true,
    options: { broker: { type: 'string' }, id: { type: 'string', default: 'sensor1' }, timeout: { type: 'string', default: '300' }, credentials: { type: 'string' }, as: { type: 'string' } },
  });
  const match = /^mqtt:\/\/([^:/]+)(?::(\d+))?/.exec(values.broker ?? '');
  if (!positionals[0] || !match) throw new UsageError('push needs MANIFEST --broker mqtt://host:port');
  onlyPositionals('push', positionals, 1);
  const timeoutS = numberOption('timeout', values.timeout!, 1, 86_400);
  const manifest = JSON.parse(readFileSync(positionals[0], 'utf8')) as Record<string, unknown>;
  const id = values.id!;
  // Only the crew may command: on a broker that enforces the access policy, push logs in as the crew.
  let crew: Account | undefined;
  if (values.as !== undefined && values.credentials === undefined) throw new UsageError('--as names an account of --credentials: give both');
  if (values.credentials !== undefined) {
    const seats = accountsFor(readParties(values.credentials), 'crew');
    // Never the crew's ground station or page seat by default: logging in there would log them off.
    const wanted = values.as ?? seatUsername('crew', SEATS.otaPush);
    crew = seats.find((a) => a.username === wanted);
    if (!crew && values.as === undefined) {
      throw new UsageError(
        `${values.credentials} has no ${wanted}, the crew's seat for pushing updates (${seatUsername('crew', SEATS.groundStation)} is the ground station's, ` +
          `${seatUsername('crew', SEATS.page)} the page's): write the configuration with --seats ${SEATS.otaPush} or more, or name a crew seat no one is using with --as`,
      );
    }
    if (!crew) throw new UsageError(`${values.credentials} has no crew account "${values.as}" (the crew's are ${seats.map((a) => a.username).join(', ')}): only the crew may command`);
  }
  const client = new MqttClient(
    {
      host: match[1],
      port: Number(match[2] ?? 1883),
      clientId: crew?.username ?? `ota-push-${process.pid}`,
      ...(crew ? { username: crew.username, password: new TextEncoder().encode(crew.password) } : {}),
    },
    { socket: nodeSocketFactory, clock: nodeClock },
  );
  return new Promise((resolve) => {
    const done = (code: number) => {
      client.end();
      resolve(code);
    };
    const timer = setTimeout(() => {
      console.error(`no final word from ${id} within ${values.timeout} s`);
      done(1);
    }, timeoutS * 1000);
    // The node answers the command on <id>/reply (a refused manifest, with its reason) and reports the
    // update on <id>/ota; it may report a refusal there first. The end is the reply when it refuses,
    // otherwise the final progress word.
    const commandId = `push-${Date.now()}`;
    let replied: boolean | undefined;
    let final: string | undefined;
    const settle = () => {
      if (replied === false || (replied && final)) {
        clearTimeout(timer);
        done(replied && final!.startsWith('updated to') ? 0 : 1);
      }
    };
    client.on('message', ({ topic, payload }) => {
      const text = new TextDecoder().decode(payload);
      console.log(`${topic}: ${text}`);
      if (topic === `${id}/reply`) {
        const reply = JSON.parse(text) as { cmd?: string; id?: string; ok?: boolean };
        if (reply.cmd === 'ota' && reply.id === commandId) replied = reply.ok === true;
      } else if (topic === `${id}/ota` && /^(updated to|failed:|rolled back)/.test(text)) {
        final = text;
      }
      settle();
    });
    client.on('error', (error) => console.error(`mqtt: ${error.message}`));
    client.on('connect', () => {
      client.subscribe([{ filter: `${id}/ota`, qos: 1 }, { filter: `${id}/reply`, qos: 1 }]);
    });
    client.on('subscribed', () => client.publish(`${id}/cmd/ota`, JSON.stringify({ id: commandId, ...manifest }), 1));
    client.connect();
  });
}

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  if (command === undefined) throw new UsageError('no command');
  if (wantsHelp([command]) || wantsHelp(rest)) return printHelp(USAGE);
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
      throw new UsageError(`unknown command "${command}"`);
  }
}

runCommand(main, USAGE);
