// Reading the files that hold passwords (parties.json, a single login for the node): what is wrong
// is named, and no password ever shows in the message, not even through JSON.parse's own text.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateAccounts, parseParties, partiesJson, readCredentials } from '../../host/broker/accounts';

const SECRET = 'Sup3rSecretPassw0rdXYZ';
const file = (text: string) => {
  const f = path.join(mkdtempSync(path.join(os.tmpdir(), 'altimeter-accounts-')), 'credentials.json');
  writeFileSync(f, text);
  return f;
};
/** The message readCredentials throws for this file text. */
const refusal = (text: string) => {
  try {
    readCredentials(file(text), 'sensor1');
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('readCredentials accepted it');
};

describe('credentials files', () => {
  it('says where a file is not JSON, without quoting it', () => {
    // The mistakes a person makes by hand: an unquoted password, a missing comma, a cut-off file.
    const cases: [string, RegExp][] = [
      [`{"username": "sensor1", "password": ${SECRET}}`, /is not valid JSON \(the parser's own message is not shown/],
      [`{"username": "sensor1"\n "password": "${SECRET}"}`, /is not valid JSON at line 2, column 2 \(/],
      [`{"username": "sensor1", "password": "${SECRET}`, /is not valid JSON at line 1, column \d+ \(/],
    ];
    for (const [text, reason] of cases) {
      const message = refusal(text);
      expect(message).toMatch(reason);
      expect(message).not.toMatch(/Sup3r|Secret|Passw0rd|XYZ/);
    }
    // parties.json broken right after a password: the message names the place, not the text.
    const accounts = generateAccounts(['sensor1']);
    const broken = partiesJson({ fleet: ['sensor1'], accounts }).replace(`"${accounts[0].password}",`, `"${accounts[0].password}"`);
    let message = '';
    try {
      parseParties(broken, 'parties.json');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^parties\.json is not valid JSON at line \d+, column \d+ \(/);
    for (const account of accounts) expect(message).not.toContain(account.password.slice(-8));
  });

  it('takes parties.json or a single login, and names what is missing', () => {
    const parties = partiesJson({ fleet: ['sensor1'], accounts: generateAccounts(['sensor1']) });
    const read = readCredentials(file(parties), 'sensor1');
    expect(read.device?.username).toBe('sensor1');
    expect(Object.keys(read.ground)).toEqual(['crew', 'air-traffic-control', 'maritime-patrol', 'news-station']);
    expect(read.page).toEqual({}); // one seat per party: none left for the page
    // With the default seats, the terminal ground station gets each party's first, the page its second.
    const seated = readCredentials(file(partiesJson({ fleet: ['sensor1'], accounts: generateAccounts(['sensor1'], 3) })), 'sensor1');
    expect(Object.values(seated.ground).map((a) => a.username)).toEqual(['crew', 'air-traffic-control', 'maritime-patrol', 'news-station']);
    expect(Object.values(seated.page).map((a) => a.username)).toEqual(['crew-2', 'air-traffic-control-2', 'maritime-patrol-2', 'news-station-2']);
    expect(readCredentials(file(`{"username": "sensor1", "password": "${SECRET}"}`), 'sensor1')).toEqual({ device: { username: 'sensor1', password: SECRET }, ground: {}, page: {} });
    expect(refusal('null')).toMatch(/must be parties\.json \(from npm run broker -- config\) or \{"username": "\.\.\.", "password": "\.\.\."\}/);
    expect(() => readCredentials(file(parties), 'sensor7')).toThrow(/has no account for device "sensor7" \(its fleet is sensor1\)/);
  });
});
