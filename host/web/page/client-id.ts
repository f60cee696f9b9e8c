// The page's MQTT client id, which names its persistent session at the broker: a reload, or a tablet
// that slept, resumes the same session and gets what arrived meanwhile.
//
// Logged in, the id is the username: a broker running the access policy (host/broker/policy.ts,
// "Client ids") makes it so whatever we ask, so one account is one session and one connection. A
// second tab of the same account would throw the first off the broker, which would throw the second
// off in turn, for ever; so a tab holds a Web Lock on the account for as long as it lives, and a
// second tab is told the account is in use instead of fighting for it.
//
// Anonymous (an open broker), the id is made up and kept (localStorage); a second tab takes another.
const KEPT_IDS = 4;

function tryLock(name: string): Promise<boolean> {
  return new Promise((resolve) => {
    void navigator.locks.request(name, { ifAvailable: true }, (lock) => {
      resolve(lock !== null);
      return lock === null ? undefined : new Promise<void>(() => {}); // held until the tab closes
    });
  });
}

const haveLocks = () => typeof navigator.locks?.request === 'function';

/** The client id for this tab, or undefined when another tab of this browser uses the account. */
export async function claimClientId(wsUrl: string, deviceId: string, role: string, username: string | undefined): Promise<string | undefined> {
  if (username) return !haveLocks() || (await tryLock(`mqtt-account:${wsUrl}:${username}`)) ? username : undefined;
  const key = `ground-station:${deviceId}:${role}:client-ids`;
  let ids: string[] = [];
  try {
    ids = (JSON.parse(localStorage.getItem(key) ?? '[]') as string[]).filter((id) => typeof id === 'string');
  } catch {
    // unreadable: start a new list
  }
  for (const id of ids) {
    if (!haveLocks() || (await tryLock(`mqtt-client:${id}`))) return id;
  }
  const id = `${deviceId}-gs-${role}-${Math.random().toString(36).slice(2, 8)}`;
  if (haveLocks()) await tryLock(`mqtt-client:${id}`);
  ids.push(id);
  try {
    localStorage.setItem(key, JSON.stringify(ids.slice(-KEPT_IDS)));
  } catch {
    // storage full or disabled: this tab still works, a reload starts a new session
  }
  return id;
}
