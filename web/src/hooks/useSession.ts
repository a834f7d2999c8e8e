import { useSyncExternalStore } from 'react';
import { auth } from '../app/services';
import type { Session } from '../lib/session';

const subscribe = (cb: () => void) => auth.subscribe(cb);
const snapshot = () => auth.current;

/** The logged-in session (null when logged out); re-renders when it changes. */
export function useSession(): Session | null {
  return useSyncExternalStore(subscribe, snapshot);
}
