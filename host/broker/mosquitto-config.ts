// A private Mosquitto for a fleet: mosquitto.conf, the acl file (from policy.ts), the password file
// and parties.json (each account's generated password, for the operator to hand out). Paths inside
// mosquitto.conf are absolute, so mosquitto can be started from anywhere: `mosquitto -c DIR/mosquitto.conf`.
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateAccounts, generatePassword, partiesJson, readParties, type Parties, type Ports } from './accounts';
import { writePasswordFile, type PasswordTool } from './password-file';
import { aclFileText, fleetPrincipals, type Account } from './policy';

export interface BrokerConfigOptions {
  dir: string;
  fleet: string[];
  /** Plain MQTT over TCP (default 1883). */
  port?: number;
  /**
   * No plain listener: every client comes through TLS (needs `tls`). Without it, a client
   * certificate adds nothing against a stolen password, which logs in on the plain listener alone.
   */
  noPlain?: boolean;
  /** Address every listener binds to (default: all interfaces). */
  bind?: string;
  /** MQTT over TLS: the broker's certificate chain (leaf first, then the CA) and key, PEM. */
  tls?: { certFile: string; keyFile: string; port?: number; /** Require client certificates signed by this CA (mutual TLS). */ clientCaFile?: string };
  /** MQTT over WebSocket for browsers (TLS too when `tls` is given). */
  websocketsPort?: number;
  /** Accounts per ground party (`crew`, `crew-2`, …): one connection per account at a time. */
  seats?: number;
  /** Overwrite an existing configuration (every password changes). */
  force?: boolean;
  passwordTool?: PasswordTool;
}

export interface WrittenConfig {
  files: { config: string; acl: string; passwords: string; parties: string };
  parties: Parties;
  passwordTool: PasswordTool;
}

export const FILES = { config: 'mosquitto.conf', acl: 'acl', passwords: 'passwd', parties: 'parties.json' } as const;

function configText(options: BrokerConfigOptions, dir: string, ports: Ports): string {
  // use_username_as_clientid is a listener option in Mosquitto 2.0 (conf.c sets it on the current
  // listener): written before any `listener` line it would set an unused default listener.
  const on = (port: number) => [`listener ${port}${options.bind ? ` ${options.bind}` : ''}`, 'use_username_as_clientid true'];
  const tlsLines = (tls: NonNullable<BrokerConfigOptions['tls']>) => [
    `certfile ${path.resolve(tls.certFile)}`,
    `keyfile ${path.resolve(tls.keyFile)}`,
    ...(tls.clientCaFile ? [`cafile ${path.resolve(tls.clientCaFile)}`, 'require_certificate true'] : []),
  ];
  const lines = [
    `# Written by \`npm run broker -- config\`: a private broker for the fleet ${options.fleet.join(', ')}.`,
    '# Start it with: mosquitto -c ' + path.join(dir, FILES.config),
    '',
    '# Every client logs in with an account from parties.json; the acl file says what each may read and write.',
    'per_listener_settings false',
    'allow_anonymous false',
    `password_file ${path.join(dir, FILES.passwords)}`,
    `acl_file ${path.join(dir, FILES.acl)}`,
    "# On every listener, a client's id is its username: nobody can take over another client's session.",
    '',
    '# Retained messages (status, info, an active emergency) and sessions survive a broker restart.',
    'persistence true',
    '# A ground station away for a while (a tablet asleep) gets the readings it missed from its session:',
    '# up to a day of 1 Hz telemetry (the default, 1000, is under 17 minutes of it).',
    'max_queued_messages 100000',
    `persistence_location ${path.join(dir, 'data')}/`,
    '',
  ];
  if (ports.mqtt !== undefined) {
    lines.push('# Plain MQTT: passwords cross the network in clear text, and no client certificate is asked for.', '# Off a trusted network, use the TLS listener only (--no-plain).', ...on(ports.mqtt));
  }
  if (options.tls) {
    lines.push('', `# MQTT over TLS${options.tls.clientCaFile ? ': clients must also present a certificate signed by the client CA' : ''}.`, ...on(ports.mqtts!), ...tlsLines(options.tls));
  }
  if (ports.websockets !== undefined) {
    lines.push('', `# MQTT over WebSocket${options.tls ? ' (wss)' : ''}, for the browser ground station: a password alone logs in here, no client certificate.`, ...on(ports.websockets), 'protocol websockets');
    if (options.tls) lines.push(`certfile ${path.resolve(options.tls.certFile)}`, `keyfile ${path.resolve(options.tls.keyFile)}`);
  }
  return `${lines.join('\n')}\n`;
}

function filesIn(dir: string): WrittenConfig['files'] {
  return {
    config: path.join(dir, FILES.config),
    acl: path.join(dir, FILES.acl),
    passwords: path.join(dir, FILES.passwords),
    parties: path.join(dir, FILES.parties),
  };
}

/** parties.json holds every password in clear: owner only, also when it replaces an older file (whose mode writeFileSync would keep). */
function writeParties(file: string, parties: Parties): void {
  writeFileSync(file, partiesJson(parties), { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** Writes the four files into options.dir; refuses to overwrite an existing configuration without `force`. */
export function writeBrokerConfig(options: BrokerConfigOptions): WrittenConfig {
  const dir = path.resolve(options.dir);
  const files = filesIn(dir);
  if (!options.force) {
    const existing = Object.values(files).find((file) => existsSync(file));
    if (existing) throw new Error(`${existing} exists: refusing to replace a configuration and every password in it (pass --force to do that, or rotate one account with \`rotate\`)`);
  }
  const accounts = generateAccounts(options.fleet, options.seats);
  if (options.noPlain && !options.tls) throw new Error('a configuration without the plain listener needs the TLS listener');
  const ports: Ports = options.noPlain ? {} : { mqtt: options.port ?? 1883 };
  if (options.tls) ports.mqtts = options.tls.port ?? 8883;
  if (options.websocketsPort !== undefined) ports.websockets = options.websocketsPort;
  const parties: Parties = { fleet: options.fleet, ports, accounts };
  // The broker's store holds the flight (retained messages, queued commands): not for other users either.
  mkdirSync(path.join(dir, 'data'), { recursive: true, mode: 0o700 });
  writeFileSync(files.config, configText(options, dir, ports));
  writeFileSync(files.acl, aclFileText(fleetPrincipals(options.fleet, options.seats), options.fleet));
  const passwordTool = writePasswordFile(files.passwords, accounts, options.passwordTool);
  writeParties(files.parties, parties);
  return { files, parties, passwordTool };
}

/**
 * Gives one account a new generated password: parties.json and the password file are rewritten
 * (the acl does not change). Mosquitto reads the new file on SIGHUP (or a restart); on that reload
 * Mosquitto 2.0 checks every connected client against the new file again and disconnects the one
 * still logged in with the old password, while the others stay
 * connected: a stolen account is cut off by the reload itself, no restart needed (tested in
 * host-tests/broker/broker-config.test.ts).
 */
export function rotatePassword(dirArg: string, username: string, passwordTool?: PasswordTool): { account: Account; passwordTool: PasswordTool } {
  const files = filesIn(path.resolve(dirArg));
  const parties = readParties(files.parties);
  const account = parties.accounts.find((a) => a.username === username);
  if (!account) throw new Error(`no account "${username}" in ${files.parties}; the accounts are ${parties.accounts.map((a) => a.username).join(', ')}`);
  account.password = generatePassword();
  const used = writePasswordFile(files.passwords, parties.accounts, passwordTool);
  writeParties(files.parties, parties);
  return { account, passwordTool: used };
}
