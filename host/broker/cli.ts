// npm run broker -- <command>: the configuration of a private Mosquitto for a fleet. Usage below;
// conventions (--help, exit statuses) in host/command-line.ts.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseCommandLine, printHelp, runCommand, UsageError, wantsHelp } from '../command-line';
import { PROGRAM_SEATS } from './accounts';
import { rotatePassword, writeBrokerConfig, type BrokerConfigOptions } from './mosquitto-config';
import { fleetProblem } from './policy';

const USAGE = `usage: npm run broker -- config DIR [--ids sensor1,sensor2] [--port 1883 | --no-plain] [--bind ADDRESS]
                             [--tls-cert CHAIN.pem --tls-key KEY.pem [--tls-port 8883] [--client-ca CA.pem]]
                             [--websockets PORT] [--seats N] [--force]
       npm run broker -- rotate DIR USERNAME
       npm run broker -- --help      this text`;

const HELP = `${USAGE}

config   writes a private Mosquitto configuration for a fleet into DIR:
           mosquitto.conf  listeners, logins required, the acl and password files, client id = username
           acl             who may read and write which topics (host/broker/policy.ts)
           passwd          the accounts' password hashes (mosquitto_passwd when installed)
           parties.json    every account's username and generated password: hand each party its own
         Run it with: mosquitto -c DIR/mosquitto.conf

  --ids A,B           device ids of the fleet (default sensor1); each device logs in as its id
  --port N            plain MQTT listener (default 1883): passwords in clear, no client certificate
  --no-plain          no plain listener, only TLS (needs --tls-cert): with --client-ca, then no
                      MQTT client logs in on a password alone
  --bind ADDRESS      address every listener binds to (default: all interfaces)
  --tls-cert FILE     add an MQTT-over-TLS listener with this certificate chain (PEM, leaf then CA:
  --tls-key FILE        the device verifies the chain) and its private key
  --tls-port N        the TLS listener's port (default 8883)
  --client-ca FILE    TLS clients must also present a certificate signed by this CA (mutual TLS)
  --websockets PORT   add an MQTT-over-WebSocket listener (wss when --tls-cert is given)
  --seats N           accounts per ground party (default ${PROGRAM_SEATS}): crew, crew-2, … A client's id is
                      its username, so an account has one connection at a time; our programs
                      each take a seat of their own: the terminal ground station (npm start) the
                      first, the ground station page the second, npm run ota -- push the third
  --force             replace an existing configuration in DIR (every password changes)

rotate   gives the account USERNAME a new generated password (parties.json and passwd), then tells
         you how to make Mosquitto use it (a reload: the old password's connection is cut at once).

Passwords are never printed: they are in DIR/parties.json (mode 0600).
`;

function port(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`${option} must be a port number from 1 to 65535, not "${value}"`);
  return n;
}

function existingFile(value: string | undefined, option: string): string | undefined {
  if (value !== undefined && !existsSync(value)) throw new UsageError(`${option} ${value}: no such file`);
  return value;
}

function config(args: string[]): number {
  const { values, positionals } = parseCommandLine({
    args,
    allowPositionals: true,
    options: {
      ids: { type: 'string', default: 'sensor1' },
      port: { type: 'string' },
      bind: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'tls-port': { type: 'string' },
      'client-ca': { type: 'string' },
      websockets: { type: 'string' },
      seats: { type: 'string', default: String(PROGRAM_SEATS) },
      force: { type: 'boolean', default: false },
      'no-plain': { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1) throw new UsageError(positionals.length ? `config takes one directory, not ${positionals.length} arguments` : 'config needs the directory to write into');
  const fleet = values.ids!.split(',').map((id) => id.trim());
  const problem = fleetProblem(fleet);
  if (problem) throw new UsageError(`--ids: ${problem}`);
  const certFile = existingFile(values['tls-cert'], '--tls-cert');
  const keyFile = existingFile(values['tls-key'], '--tls-key');
  if ((certFile === undefined) !== (keyFile === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  if (!certFile && (values['tls-port'] || values['client-ca'])) throw new UsageError('--tls-port and --client-ca need --tls-cert and --tls-key');
  if (values['no-plain'] && !certFile) throw new UsageError('--no-plain needs --tls-cert and --tls-key: without the plain listener, TLS is the way in');
  if (values['no-plain'] && values.port !== undefined) throw new UsageError('--port is the plain listener, which --no-plain leaves out: give one or the other');
  const seats = Number(values.seats);
  if (!Number.isInteger(seats) || seats < 1 || seats > 20) throw new UsageError(`--seats must be a whole number from 1 to 20, not "${values.seats}"`);
  const options: BrokerConfigOptions = {
    dir: positionals[0],
    seats,
    fleet,
    port: port(values.port, '--port'),
    noPlain: values['no-plain'],
    bind: values.bind,
    websocketsPort: port(values.websockets, '--websockets'),
    force: values.force,
  };
  if (certFile && keyFile) {
    options.tls = { certFile, keyFile, port: port(values['tls-port'], '--tls-port'), clientCaFile: existingFile(values['client-ca'], '--client-ca') };
  }
  const used = [options.noPlain ? undefined : (options.port ?? 1883), options.tls ? (options.tls.port ?? 8883) : undefined, options.websocketsPort].filter((p) => p !== undefined);
  if (new Set(used).size !== used.length) throw new UsageError(`the listeners need different ports, not ${used.join(', ')}`);
  const written = writeBrokerConfig(options);
  const { files, parties } = written;
  process.stdout.write(
    [
      `wrote ${files.config}, ${path.basename(files.acl)}, ${path.basename(files.passwords)} (hashed with ${written.passwordTool === 'builtin' ? 'our own PBKDF2-SHA512, mosquitto_passwd is not installed' : 'mosquitto_passwd'}) and ${path.basename(files.parties)}`,
      `${parties.accounts.length} accounts: ${parties.accounts.map((a) => a.username).join(', ')}; their passwords are in ${files.parties} (keep it secret)`,
      `start the broker: mosquitto -c ${files.config}`,
      '',
    ].join('\n'),
  );
  return 0;
}

function rotate(args: string[]): number {
  const { positionals } = parseCommandLine({ args, allowPositionals: true, options: {} });
  if (positionals.length !== 2) throw new UsageError('rotate needs the configuration directory and the username');
  const { account } = rotatePassword(positionals[0], positionals[1]);
  process.stdout.write(
    [
      `new password for ${account.username} in ${path.join(path.resolve(positionals[0]), 'parties.json')}; make Mosquitto reload its files:`,
      '  kill -HUP $(pidof mosquitto)   (or: systemctl reload mosquitto) — it then disconnects whoever is still logged in as',
      `  ${account.username} with the old password, and refuses that password from then on; the other accounts stay connected`,
      account.role === 'device' ? `  then give the device its new password: npm run flash -- brokerPassword=... (see README, "Run your own broker")` : `  then hand the new password to the ${account.role} only`,
      '',
    ].join('\n'),
  );
  return 0;
}

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  if (wantsHelp(process.argv.slice(2)) || command === 'help') return printHelp(HELP);
  if (command === 'config') return config(rest);
  if (command === 'rotate') return rotate(rest);
  throw new UsageError(command ? `unknown command "${command}"` : 'a command is needed: config or rotate');
}

runCommand(main, USAGE);
