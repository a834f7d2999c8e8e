/** The logged-in session as kept in localStorage, and when its access token should be refreshed. */
import { tokenExpiryMs, tokenIssuedAtMs } from './jwt';

export interface Session {
  nickname: string;
  user_id: string;
  access_token: string;
  refresh_token: string;
  /** Server clock minus local clock when the access token was received (ms), from the token's `iat`. */
  clock_skew_ms?: number;
}

export const SESSION_KEY = 'rooms.session';

export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

function isSession(v: unknown): v is Session {
  if (!v || typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.nickname === 'string' &&
    typeof o.user_id === 'string' &&
    typeof o.access_token === 'string' &&
    o.access_token.length > 0 &&
    typeof o.refresh_token === 'string' &&
    o.refresh_token.length > 0
  );
}

export function parseSession(raw: string | null): Session | null {
  if (!raw) return null;
  try {
    const v: unknown = JSON.parse(raw);
    return isSession(v) ? v : null;
  } catch {
    return null;
  }
}

export function loadSession(store: KeyValueStore): Session | null {
  try {
    return parseSession(store.getItem(SESSION_KEY));
  } catch {
    return null; // storage disabled
  }
}

export function saveSession(store: KeyValueStore, s: Session): void {
  try {
    store.setItem(SESSION_KEY, JSON.stringify(s));
  } catch {
    // Storage full or disabled: the session still works in this tab.
  }
}

export function clearSession(store: KeyValueStore): void {
  try {
    store.removeItem(SESSION_KEY);
  } catch {
    // ignore
  }
}

/** Builds a session from a login/refresh answer, noting the clock skew against the token's `iat`. */
export function sessionFromTokens(
  body: { nickname?: unknown; user_id?: unknown; access_token?: unknown; refresh_token?: unknown },
  nowMs: number,
  fallback?: { nickname: string; user_id: string },
): Session {
  const access = typeof body.access_token === 'string' ? body.access_token : '';
  const refresh = typeof body.refresh_token === 'string' ? body.refresh_token : '';
  if (!access || !refresh) throw new Error('The server did not send the session tokens.');
  const iat = tokenIssuedAtMs(access);
  const s: Session = {
    nickname: typeof body.nickname === 'string' ? body.nickname : (fallback?.nickname ?? ''),
    user_id:
      typeof body.user_id === 'string' || typeof body.user_id === 'number'
        ? String(body.user_id)
        : (fallback?.user_id ?? ''),
    access_token: access,
    refresh_token: refresh,
  };
  if (iat !== null) {
    const skew = iat - nowMs;
    // Only a skew beyond normal latency is worth correcting for.
    if (Math.abs(skew) > 5_000) s.clock_skew_ms = skew;
  }
  return s;
}

export interface RefreshTiming {
  /** Refresh this long before expiry at most... */
  maxLeadMs: number;
  /** ...and at most this share of the token's lifetime before it. */
  leadFraction: number;
  /** Lifetime assumed when the token has no `iat`. */
  defaultLifetimeMs: number;
  /** Never schedule sooner than this (no hot loop with a token that is born expired). */
  minDelayMs: number;
}

export const DEFAULT_REFRESH_TIMING: RefreshTiming = {
  maxLeadMs: 60_000,
  leadFraction: 0.2,
  defaultLifetimeMs: 900_000,
  minDelayMs: 1_000,
};

/**
 * How long from `nowMs` (local clock) to wait before refreshing `session`'s access token, or null when the
 * token carries no expiry (then only a 401 triggers a refresh). A 900 s token is refreshed 60 s before it
 * expires; a 10 s one 2 s before.
 */
export function refreshDelayMs(session: Session, nowMs: number, timing: RefreshTiming = DEFAULT_REFRESH_TIMING): number | null {
  const exp = tokenExpiryMs(session.access_token);
  if (exp === null) return null;
  const iat = tokenIssuedAtMs(session.access_token);
  const lifetime = iat !== null && exp > iat ? exp - iat : timing.defaultLifetimeMs;
  const lead = Math.min(timing.maxLeadMs, lifetime * timing.leadFraction);
  const serverNow = nowMs + (session.clock_skew_ms ?? 0);
  return Math.max(timing.minDelayMs, Math.round(exp - lead - serverNow));
}

/** True while the access token has more than `marginMs` to live (or carries no expiry). */
export function isAccessTokenFresh(session: Session, nowMs: number, marginMs = 10_000): boolean {
  const exp = tokenExpiryMs(session.access_token);
  if (exp === null) return true;
  return exp - (nowMs + (session.clock_skew_ms ?? 0)) > marginMs;
}
