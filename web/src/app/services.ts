/** The app's single AuthManager and ApiClient, wired to the browser. */
import { ApiClient, roomSocketUrl } from '../lib/api';
import { AuthManager, type LockManagerLike } from '../lib/auth';
import type { KeyValueStore } from '../lib/session';

function browserStorage(): KeyValueStore {
  try {
    const s = window.localStorage;
    const probe = '__rooms_probe__';
    s.setItem(probe, '1');
    s.removeItem(probe);
    return s;
  } catch {
    // Storage disabled (private mode in some browsers): keep the session for this tab only.
    const m = new Map<string, string>();
    return {
      getItem: (k) => m.get(k) ?? null,
      setItem: (k, v) => void m.set(k, v),
      removeItem: (k) => void m.delete(k),
    };
  }
}

function browserLocks(): LockManagerLike | null {
  const locks = (navigator as Navigator & { locks?: LockManager }).locks;
  if (!locks || typeof locks.request !== 'function') return null;
  return { request: <T,>(name: string, cb: () => Promise<T>) => locks.request(name, cb) as unknown as Promise<T> };
}

const fetchFn = (input: string, init?: RequestInit) => window.fetch(input, init);

export const auth = new AuthManager({ storage: browserStorage(), fetch: fetchFn, locks: browserLocks() });
export const api = new ApiClient(auth, fetchFn);

export function socketUrl(roomId: string, token: string): string {
  return roomSocketUrl(window.location, roomId, token);
}

// Another tab refreshed, logged in or logged out.
window.addEventListener('storage', (e) => {
  if (e.storageArea === window.localStorage) auth.handleStorageEvent(e.key);
});
// Timers are throttled in background tabs: check the token when the tab is seen again.
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') auth.checkSoon();
});
