// Mosquitto's password file: one `username:hash` line per account. Made by `mosquitto_passwd -U`
// when it is installed (it hashes a plain `username:password` file in place: the passwords never
// appear on a command line, where other users of the machine could read them), otherwise written
// here in the same format.
//
// The format, as Mosquitto 2.0 reads it (src/security_default.c, unpwd__decode_passwords, and
// src/password_mosq.h): `$7$<iterations>$<salt>$<hash>`, where 7 is PBKDF2-HMAC-SHA512, the salt is
// 12 random bytes and the hash 64 bytes, both standard base64 with padding. The broker refuses an
// entry whose salt does not decode to 12 bytes or whose hash does not decode to 64. mosquitto_passwd
// 2.0 uses 101 iterations; we use 1000 (what Mosquitto 2.1 chose): the broker reads the count from
// each line. Generated passwords carry 144 random bits, so the count is not what protects them.
import { execFileSync } from 'node:child_process';
import { pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, chownSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import type { Account } from './policy';

const SALT_BYTES = 12;
const HASH_BYTES = 64;
export const PBKDF2_ITERATIONS = 1000;

export function mosquittoHash(password: string, salt: Uint8Array = randomBytes(SALT_BYTES), iterations = PBKDF2_ITERATIONS): string {
  if (salt.length !== SALT_BYTES) throw new Error(`a Mosquitto password salt is ${SALT_BYTES} bytes, not ${salt.length}`);
  const hash = pbkdf2Sync(password, salt, iterations, HASH_BYTES, 'sha512');
  return `$7$${iterations}$${Buffer.from(salt).toString('base64')}$${hash.toString('base64')}`;
}

/** Does `password` match a `$7$` entry (as the broker checks it)? False for anything malformed. */
export function verifyMosquittoHash(password: string, entry: string): boolean {
  const match = /^\$7\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(entry);
  if (!match) return false;
  const iterations = Number(match[1]);
  const salt = Buffer.from(match[2], 'base64');
  const expected = Buffer.from(match[3], 'base64');
  if (iterations < 1 || salt.length !== SALT_BYTES || expected.length !== HASH_BYTES) return false;
  return timingSafeEqual(pbkdf2Sync(password, salt, iterations, HASH_BYTES, 'sha512'), expected);
}

export type PasswordTool = 'mosquitto_passwd' | 'builtin';

export function mosquittoPasswdInstalled(): boolean {
  try {
    execFileSync('mosquitto_passwd', ['-h'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // It prints its usage and exits 1 for -h; only a missing program is "not installed".
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/**
 * Writes the password file for `accounts` (mode 0600: it is a secret too). `tool` picks the hasher;
 * by default mosquitto_passwd when installed. Returns the one used.
 */
export function writePasswordFile(file: string, accounts: readonly Account[], tool: PasswordTool = mosquittoPasswdInstalled() ? 'mosquitto_passwd' : 'builtin'): PasswordTool {
  for (const account of accounts) {
    if (account.username.includes(':')) throw new Error(`username "${account.username}" holds ":", the password file's separator`);
  }
  // Rewriting (a rotation) keeps the file's owner: the broker's user must still read it.
  const owner = existsSync(file) ? statSync(file) : undefined;
  writeFileSync(file, '', { mode: 0o600 });
  chmodSync(file, 0o600);
  if (tool === 'mosquitto_passwd') {
    writeFileSync(file, accounts.map((a) => `${a.username}:${a.password}\n`).join(''));
    try {
      execFileSync('mosquitto_passwd', ['-U', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (error) {
      writeFileSync(file, ''); // never leave the plain passwords behind
      throw new Error(`mosquitto_passwd -U failed: ${String((error as { stderr?: Buffer }).stderr ?? (error as Error).message).trim()}`);
    }
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    if (lines.length !== accounts.length || !lines.every((l) => /^[^:]+:\$[67]\$/.test(l))) {
      writeFileSync(file, '');
      throw new Error('mosquitto_passwd -U left an unexpected password file: refusing to use it');
    }
    chmodSync(file, 0o600); // it rewrites the file through a temporary one
  } else {
    writeFileSync(file, accounts.map((a) => `${a.username}:${mosquittoHash(a.password)}\n`).join(''));
  }
  if (owner && process.getuid?.() === 0) chownSync(file, owner.uid, owner.gid);
  return tool;
}
