// The page's MQTT client id. It is kept (localStorage) so that a reload, or a tablet that slept,
// resumes the same persistent session at the broker and gets what arrived meanwhile. Two tabs must
// not share one (the broker would throw each out in turn), so a tab holds a Web Lock on its id for
// as long as it lives, and a second tab takes another id.
const KEPT_IDS = 4;

function tryLock(name: string): Promise<boolean> {
  return new Promise((resolve) => {
    void navigator.locks.request(name, { ifAvailable: true }, (lock) => {
      resolve(lock !== null);
      return lock === null ? undefined : new Promise<void>(() => {}); // held until the tab closes
    });
  });
}

export async function claimClientId(deviceId: string, partyId: string): Promise<string> {
  const key = `ground-station:${deviceId}:${partyId}:client-ids`;
  let ids: string[] = [];
  try {
    ids = (JSON.parse(localStorage.getItem(key) ?? '[]') as string[]).filter((id) => typeof id === 'string');
  } catch {
    // unreadable: start a new list
  }
  const locks = typeof navigator.locks?.request === 'function';
  for (const id of ids) {
    if (!locks || (await tryLock(`mqtt-client:${id}`))) return id;
  }
  const id = `${deviceId}-gs-${partyId}-${Math.random().toString(36).slice(2, 8)}`;
  if (locks) await tryLock(`mqtt-client:${id}`);
  ids.push(id);
  try {
    localStorage.setItem(key, JSON.stringify(ids.slice(-KEPT_IDS)));
  } catch {
    // storage full or disabled: this tab still works, a reload starts a new session
  }
  return id;
}
