// The accounts of a fleet (one per device, one per ground party) with generated passwords, and the
// parties.json file that hands them to the operator. Every password comes from the system's
// cryptographic random source; there is no default password anywhere.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describeRights, fleetPrincipals, fleetProblem, GROUND_ROLES, seatUsername, type Account, type GroundRole, type Role } from './policy';

/** 144 random bits as 24 URL-safe base64 characters: no ':' (the password file's separator), no spaces. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

/** Every account of a fleet, `seats` per ground party, each with a password of its own. */
export function generateAccounts(fleet: readonly string[], seats = 1): Account[] {
  const problem = fleetProblem(fleet);
  if (problem) throw new Error(problem);
  return fleetPrincipals(fleet, seats).map((principal) => ({ ...principal, password: generatePassword() }));
}

export interface Ports {
  /** Absent when the configuration has no plain listener (`--no-plain`). */
  mqtt?: number;
  mqtts?: number;
  websockets?: number;
}

export interface Parties {
  fleet: string[];
  ports?: Ports;
  accounts: Account[];
}

export function partiesJson(parties: Parties): string {
  return `${JSON.stringify(
    {
      note: 'Secrets: hand each account to its party only, keep this file off shared drives. `npm run broker -- rotate DIR USERNAME` replaces one password.',
      fleet: parties.fleet,
      ...(parties.ports ? { ports: parties.ports } : {}),
      accounts: parties.accounts.map((a) => ({
        username: a.username,
        password: a.password,
        role: a.role,
        ...(a.deviceId ? { deviceId: a.deviceId } : {}),
        rights: describeRights(a, parties.fleet),
      })),
    },
    null,
    2,
  )}\n`;
}

const ROLES: readonly string[] = ['device', ...GROUND_ROLES];

/**
 * JSON.parse for a file that holds passwords. V8's own message quotes the text around the fault
 * (`Unexpected token 'S', ..."password":Sup3rSecre"... is not valid JSON`), which would put a
 * password on the terminal or in a CI log: only where the fault is, when V8 says, is told.
 */
function parseSecretJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const position = /at position (\d+)/.exec((error as Error).message);
    let where = '';
    if (position) {
      const before = text.slice(0, Number(position[1])).split('\n');
      where = ` at line ${before.length}, column ${before.at(-1)!.length + 1}`;
    }
    throw new Error(`${source} is not valid JSON${where} (the parser's own message is not shown: it quotes the file, passwords and all)`);
  }
}

/** Reads parties.json; throws an Error naming what is wrong (never the passwords). */
export function parseParties(text: string, source = 'parties.json'): Parties {
  const v = (parseSecretJson(text, source) ?? {}) as { fleet?: unknown; ports?: Ports; accounts?: unknown };
  if (!Array.isArray(v.fleet) || !v.fleet.every((id) => typeof id === 'string')) throw new Error(`${source}: "fleet" must be a list of device ids`);
  const problem = fleetProblem(v.fleet as string[]);
  if (problem) throw new Error(`${source}: ${problem}`);
  if (!Array.isArray(v.accounts)) throw new Error(`${source}: "accounts" must be a list`);
  const accounts = v.accounts.map((raw: unknown, i: number): Account => {
    const a = raw as Partial<Account>;
    if (typeof a.username !== 'string' || a.username === '') throw new Error(`${source}: account ${i + 1} has no username`);
    if (typeof a.password !== 'string' || a.password === '') throw new Error(`${source}: account "${a.username}" has no password`);
    if (typeof a.role !== 'string' || !ROLES.includes(a.role)) throw new Error(`${source}: account "${a.username}" has role ${JSON.stringify(a.role)}; expected one of ${ROLES.join(', ')}`);
    return { username: a.username, password: a.password, role: a.role as Role, ...(a.deviceId ? { deviceId: a.deviceId } : {}) };
  });
  return { fleet: v.fleet as string[], ports: v.ports, accounts };
}

export function readParties(file: string): Parties {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  return parseParties(text, file);
}

/** Every account of a role, in seat order. */
export function accountsFor(parties: Pick<Parties, 'accounts'>, role: Role): Account[] {
  return parties.accounts.filter((a) => a.role === role);
}

/** The (first) account of a role (and, for a device, of that id), or undefined. */
export function accountFor(parties: Pick<Parties, 'accounts'>, role: Role, deviceId?: string): Account | undefined {
  return parties.accounts.find((a) => a.role === role && (role !== 'device' || (a.deviceId ?? a.username) === deviceId));
}

/**
 * Which seat of a party each of our programs logs in on. A client's id is its username (policy.ts),
 * so two programs on one account log each other off the broker: each program has a seat of its own.
 * `npm start`'s terminal ground station takes the first, the ground station page the second, and
 * `npm run ota -- push` (as the crew, the only party that commands) the third.
 */
export const SEATS = { groundStation: 1, page: 2, otaPush: 3 } as const;

/** Seats per party so that every program above has its own: `npm run broker -- config`'s default. */
export const PROGRAM_SEATS = Math.max(...Object.values(SEATS));

/** Each ground party's account on one seat (those the accounts have). */
export function seatAccounts(parties: Pick<Parties, 'accounts'>, seat: number): Partial<Record<GroundRole, Account>> {
  const accounts: Partial<Record<GroundRole, Account>> = {};
  for (const role of GROUND_ROLES) {
    const account = parties.accounts.find((a) => a.role === role && a.username === seatUsername(role, seat));
    if (account) accounts[role] = account;
  }
  return accounts;
}

export interface Credentials {
  username: string;
  password: string;
}

/** Who logs in as what: the node, the terminal ground station and the page (each on its seat, SEATS). */
export interface Logins {
  device?: Credentials;
  ground: Partial<Record<GroundRole, Account>>;
  page: Partial<Record<GroundRole, Account>>;
}

/**
 * What a host program needs from a credentials file: the device's login (for the node) and the
 * ground parties' accounts (see Logins). The file is parties.json (from `npm run broker -- config`) or a single
 * login, `{"username": "...", "password": "..."}`, for the node alone.
 */
export function readCredentials(file: string, deviceId: string): Logins {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  const value = (parseSecretJson(text, file) ?? {}) as { username?: unknown; password?: unknown; accounts?: unknown };
  if (value.accounts === undefined) {
    if (typeof value.username !== 'string' || typeof value.password !== 'string' || !value.username) {
      throw new Error(`${file} must be parties.json (from npm run broker -- config) or {"username": "...", "password": "..."}`);
    }
    return { device: { username: value.username, password: value.password }, ground: {}, page: {} };
  }
  const parties = parseParties(text, file);
  const device = accountFor(parties, 'device', deviceId);
  if (!device) throw new Error(`${file} has no account for device "${deviceId}" (its fleet is ${parties.fleet.join(', ')})`);
  return { device: { username: device.username, password: device.password }, ground: seatAccounts(parties, SEATS.groundStation), page: seatAccounts(parties, SEATS.page) };
}
