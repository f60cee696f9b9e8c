// What a party's page shows and may do, derived from the access policy (host/broker/policy.ts), the
// module both brokers enforce: the page subscribes to exactly what the party may read, shows the
// flight only to a party that receives it, and offers commands only to a party that may send them.
// The broker enforces the same rules whatever the page does; this only keeps the page honest about them.
import { topicsFor } from '../../../src/app/topics';
import { mayPublish, mayReceive, partyRules, partySubscriptions, ROLE_NAMES, type GroundRole } from '../../broker/policy';

export interface PartyView {
  role: GroundRole;
  name: string;
  /** The filters its page subscribes to. */
  subscriptions: string[];
  /** Receives the flight itself (telemetry), not only emergencies. */
  seesFlight: boolean;
  /** May publish commands to the node. */
  commands: boolean;
  /** In words, for the login form. */
  summary: string;
}

export function partyView(role: GroundRole, deviceId: string): PartyView {
  const rules = partyRules(role, deviceId);
  const topics = topicsFor(deviceId);
  const seesFlight = mayReceive(rules, topics.telemetry);
  const commands = mayPublish(rules, `${topics.commandPrefix}ping`);
  const summary = seesFlight ? (commands ? 'sees everything, sends commands' : 'sees everything') : mayReceive(rules, topics.emergency) ? 'sees emergencies only' : 'sees nothing';
  return { role, name: ROLE_NAMES[role], subscriptions: partySubscriptions(role, deviceId), seesFlight, commands, summary };
}
