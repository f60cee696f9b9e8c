// The people on the ground and what each may read and do (DESIGN.md §3): crew, air traffic control
// and maritime patrol read everything the node publishes; the news station reads emergencies only;
// only the crew sends commands. The terminal ground station and the web page both take their
// subscriptions from here, so a party sees the same on either.
export type PartyId = 'crew' | 'atc' | 'maritime' | 'news';

export interface Party {
  id: PartyId;
  name: string;
  /** The topic under <deviceId>/ it subscribes to: "#" for everything, "emergency" for the news. */
  reads: '#' | 'emergency';
  /** May publish <deviceId>/cmd/<name>. */
  commands: boolean;
}

export const PARTIES: readonly Party[] = [
  { id: 'crew', name: 'crew', reads: '#', commands: true },
  { id: 'atc', name: 'air traffic control', reads: '#', commands: false },
  { id: 'maritime', name: 'maritime patrol', reads: '#', commands: false },
  { id: 'news', name: 'news station', reads: 'emergency', commands: false },
];

export const partyFilter = (deviceId: string, party: Party): string => `${deviceId}/${party.reads}`;

export function partyById(id: string): Party | undefined {
  return PARTIES.find((party) => party.id === id);
}
