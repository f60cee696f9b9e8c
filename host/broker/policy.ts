// The fleet's access policy, written once: who may publish and who may receive which topics. The
// shipped Mosquitto configuration (mosquitto-config.ts writes these rules as its acl file) and the
// embedded broker of `npm start` (embedded-broker.ts evaluates them on every CONNECT, PUBLISH,
// SUBSCRIBE and delivery) take their rules from here; nothing else decides who sees what.
//
// For every device id <id> of the fleet:
//   device <id>            publishes the topics the node publishes (src/app/topics.ts: altitude,
//                          telemetry, emergency, status, info, reply, ota), that is <id>/# but
//                          the commands, and its Home Assistant discovery configs
//                          (homeassistant/sensor/<id>/+/config); receives <id>/cmd/#
//   crew                   receives <id>/#; publishes <id>/cmd/# (the only party that commands)
//   air traffic control    receives <id>/#
//   maritime patrol        receives <id>/#
//   news station           receives <id>/emergency, nothing else
// Anything not granted is refused: no party reaches another fleet's topics or $SYS.
//
// What "read" means in MQTT. A SUBSCRIBE names a filter (`#`, `+/#`, `sensor1/+`), not a topic, so a
// filter cannot simply be allowed or refused: `#` is fine for the news station as long as only
// emergencies reach it. The decision that protects privacy is therefore taken per message, when the
// broker delivers it (and for retained messages and a resumed session's queue too): `mayReceive`.
// Mosquitto 2.0's acl_file does exactly that and grants every SUBSCRIBE (its security_default.c
// returns success for subscribe checks, "implement ACL subscription strings" being a FIXME there).
// The embedded broker does the same per message and, in addition, refuses a SUBSCRIBE whose filter
// cannot match any topic the party may receive (`maySubscribe`), so a client sees the refusal in
// its SUBACK (0x80) instead of silence.
//
// Rules are evaluated the way Mosquitto evaluates its acl_file, so both brokers decide alike: the
// first rule that matches the topic and grants the wanted access (read or write) allows; a topic
// that starts with `$` only matches a rule that starts with `$`; no match refuses. There are no
// deny rules: Mosquitto puts every `deny` line of a user before all the others (add__acl in
// security_default.c), so "the device publishes <id>/# except <id>/cmd/#" cannot be an allow plus
// a deny (the deny would also stop it reading its commands). The device's own topics, one rule
// each, say it instead, and grant nothing it does not use.
//
// Client ids. Whoever connects with a client id takes over the session of that id (MQTT-3.1.4-2):
// an id is no credential. So a client's id is its username, whatever it asked for (Mosquitto:
// `use_username_as_clientid true`; the embedded broker does the same), and only the device's own
// credentials make a client `sensor1`. One connection per account at a time follows, so a party
// that needs several screens (a ground station and an update push, a terminal and a browser) gets
// several seats: accounts `crew`, `crew-2`, … with the same rights.
//
// This module imports only core modules (topic names and matching), so a browser can use it too.
import { isDeviceId, publishedTopics, topicsFor } from '../../src/app/topics';
import { topicMatches } from '../../src/mqtt/topic';

export const GROUND_ROLES = ['crew', 'air-traffic-control', 'maritime-patrol', 'news-station'] as const;
export type GroundRole = (typeof GROUND_ROLES)[number];
export type Role = 'device' | GroundRole;

/** How people call each party (the live view, the README). */
export const ROLE_NAMES: Record<Role, string> = {
  device: 'device',
  crew: 'crew',
  'air-traffic-control': 'air traffic control',
  'maritime-patrol': 'maritime patrol',
  'news-station': 'news station',
};

/** Who a client is once its credentials are checked. */
export interface Principal {
  username: string;
  role: Role;
  /** For a device: the id it publishes under (its username). */
  deviceId?: string;
}

export interface Account extends Principal {
  password: string;
}

export type Access = 'read' | 'write';

export interface AclRule {
  access: Access;
  filter: string;
}

/** The usernames of the ground parties' seats: `crew`, `crew-2`, … */
const SEAT_USERNAME = new RegExp(`^(${GROUND_ROLES.join('|')})(-\\d+)?$`);

/** The username of a party's seat (1 is the party's own name). */
export const seatUsername = (role: GroundRole, seat: number) => (seat === 1 ? role : `${role}-${seat}`);

/** Why `ids` cannot be a fleet (bad or duplicate ids, an id that is a party's username), or undefined. */
export function fleetProblem(ids: readonly string[]): string | undefined {
  if (ids.length === 0) return 'a fleet needs at least one device id';
  for (const id of ids) {
    if (!isDeviceId(id)) return `device id "${id}" must be 1 to 32 letters, digits, "_" or "-"`;
    if (SEAT_USERNAME.test(id)) return `device id "${id}" is the username of a ground party; choose another`;
    if (id === 'homeassistant') return 'device id "homeassistant" would collide with Home Assistant discovery topics';
  }
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  return duplicate === undefined ? undefined : `device id "${duplicate}" is listed twice`;
}

/** The principals of a fleet: one device per id (its username is its id), and `seats` accounts for each ground party. */
export function fleetPrincipals(fleet: readonly string[], seats = 1): Principal[] {
  const ground: Principal[] = [];
  for (const role of GROUND_ROLES) for (let seat = 1; seat <= seats; seat++) ground.push({ username: seatUsername(role, seat), role });
  return [...fleet.map((id): Principal => ({ username: id, role: 'device', deviceId: id })), ...ground];
}

/** The rules of one principal, in the order they are evaluated. */
export function rulesFor(principal: Principal, fleet: readonly string[]): AclRule[] {
  if (principal.role === 'device') {
    const id = principal.deviceId ?? principal.username;
    return [
      { access: 'read', filter: `${id}/cmd/#` },
      ...publishedTopics(topicsFor(id)).map((topic): AclRule => ({ access: 'write', filter: topic })),
      { access: 'write', filter: `homeassistant/sensor/${id}/+/config` },
    ];
  }
  const rules: AclRule[] = [];
  for (const id of fleet) {
    switch (principal.role) {
      case 'crew':
        rules.push({ access: 'read', filter: `${id}/#` }, { access: 'write', filter: `${id}/cmd/#` });
        break;
      case 'air-traffic-control':
      case 'maritime-patrol':
        rules.push({ access: 'read', filter: `${id}/#` });
        break;
      case 'news-station':
        rules.push({ access: 'read', filter: `${id}/emergency` });
        break;
    }
  }
  return rules;
}

/** A ground party's rules for one device: what its screens may subscribe to and command there. */
export function partyRules(role: GroundRole, deviceId: string): AclRule[] {
  return rulesFor({ username: role, role }, [deviceId]);
}

/** The filters a ground party's screen subscribes to for one device: exactly what it may read there. */
export function partySubscriptions(role: GroundRole, deviceId: string): string[] {
  return partyRules(role, deviceId)
    .filter((rule) => rule.access === 'read')
    .map((rule) => rule.filter);
}

/** Mosquitto's acl_file evaluation (mosquitto_acl_check_default): a matching rule of that access allows. */
function decide(rules: readonly AclRule[], topic: string, wanted: Access): boolean {
  for (const rule of rules) {
    if (topic.charCodeAt(0) === 0x24 && rule.filter.charCodeAt(0) !== 0x24) continue;
    if (rule.access === wanted && topicMatches(rule.filter, topic)) return true;
  }
  return false;
}

/** May a client with these rules publish to `topic` (a topic name, no wildcards)? */
export function mayPublish(rules: readonly AclRule[], topic: string): boolean {
  return decide(rules, topic, 'write');
}

/** May a message on `topic` be delivered to a client with these rules? */
export function mayReceive(rules: readonly AclRule[], topic: string): boolean {
  return decide(rules, topic, 'read');
}

/**
 * Could the filter ever deliver something to a client with these rules? True when it overlaps a
 * filter the client may read. Delivery is checked per message anyway (mayReceive): this only decides
 * what the SUBACK says.
 */
export function maySubscribe(rules: readonly AclRule[], filter: string): boolean {
  return rules.some((rule) => rule.access === 'read' && filtersOverlap(filter, rule.filter));
}

/** Is there a topic that both filters match? */
export function filtersOverlap(a: string, b: string): boolean {
  const la = a.split('/');
  const lb = b.split('/');
  // A filter that starts with a wildcard matches no topic that starts with `$` [MQTT-4.7.2-1].
  const wild = (level: string) => level === '#' || level === '+';
  if ((wild(la[0]) && lb[0].startsWith('$')) || (wild(lb[0]) && la[0].startsWith('$'))) return false;
  for (let i = 0; ; i++) {
    const x = la[i];
    const y = lb[i];
    if (x === '#' || y === '#') return true; // '#' also matches the parent level
    if (x === undefined || y === undefined) return x === y; // both ended together (a "/#" tail returned above)
    if (x !== '+' && y !== '+' && x !== y) return false;
  }
}

/** The Mosquitto acl_file text for these principals (user sections in evaluation order). */
export function aclFileText(principals: readonly Principal[], fleet: readonly string[]): string {
  const lines = ['# Written by `npm run broker -- config` from host/broker/policy.ts: edit the policy there, not here.', ''];
  for (const principal of principals) {
    lines.push(`# ${ROLE_NAMES[principal.role]}${principal.deviceId ? ` ${principal.deviceId}` : ''}`, `user ${principal.username}`);
    for (const rule of rulesFor(principal, fleet)) lines.push(`topic ${rule.access} ${rule.filter}`);
    lines.push('');
  }
  return lines.join('\n');
}

/** In words, what a principal may do (for parties.json and the README). */
export function describeRights(principal: Principal, fleet: readonly string[]): string {
  const rules = rulesFor(principal, fleet);
  const of = (access: Access) => rules.filter((r) => r.access === access).map((r) => r.filter);
  const receives = of('read');
  const publishes = of('write');
  return [receives.length ? `receives ${receives.join(', ')}` : 'receives nothing', publishes.length ? `publishes ${publishes.join(', ')}` : 'publishes nothing'].join('; ');
}
