/**
 * The session's life: log in, keep the access token fresh, log out.
 *
 * Refresh tokens are single-use and the server revokes the whole session when a spent one is presented
 * again, so refreshes are serialized: within a tab one in-flight promise is shared by every caller; across
 * tabs a Web Lock (where the browser has it) is held while refreshing, and localStorage is re-read inside it
 * so a tab adopts the pair another tab already obtained instead of spending the old refresh token again.
 * A `storage` event from another tab's refresh or logout is adopted too.
 */
import { ApiError, SessionExpiredError, requestJson, type FetchFn } from './http';
import {
  SESSION_KEY,
  clearSession,
  isAccessTokenFresh,
  loadSession,
  refreshDelayMs,
  saveSession,
  sessionFromTokens,
  type KeyValueStore,
  type Session,
} from './session';

export interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

export type AuthChange =
  | { kind: 'login'; session: Session }
  | { kind: 'refresh'; session: Session }
  | { kind: 'logout' }
  | { kind: 'expired'; message: string };

export interface AuthOptions {
  storage: KeyValueStore;
  fetch: FetchFn;
  apiBase?: string;
  locks?: LockManagerLike | null;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  random?: () => number;
  /** Delay before retrying a refresh that failed for a transient reason (server unreachable). */
  retryDelayMs?: number;
}

const LOCK_NAME = 'rooms.session.refresh';

interface TokenBody {
  nickname?: unknown;
  user_id?: unknown;
  access_token?: unknown;
  refresh_token?: unknown;
}

export class AuthManager {
  private session: Session | null;
  private inflight: Promise<Session> | null = null;
  private timer: unknown = null;
  private readonly listeners = new Set<(c: AuthChange) => void>();
  private readonly storage: KeyValueStore;
  private readonly fetchFn: FetchFn;
  private readonly base: string;
  private readonly locks: LockManagerLike | null;
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;
  private readonly random: () => number;
  private readonly retryDelayMs: number;

  constructor(opts: AuthOptions) {
    this.storage = opts.storage;
    this.fetchFn = opts.fetch;
    this.base = opts.apiBase ?? '/api';
    this.locks = opts.locks ?? null;
    this.now = opts.now ?? (() => Date.now());
    this.setTimer = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = opts.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
    this.random = opts.random ?? Math.random;
    this.retryDelayMs = opts.retryDelayMs ?? 5_000;
    this.session = loadSession(this.storage);
    this.schedule();
  }

  get current(): Session | null {
    return this.session;
  }

  subscribe(listener: (c: AuthChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(c: AuthChange): void {
    for (const l of [...this.listeners]) l(c);
  }

  async register(nickname: string, password: string): Promise<void> {
    await requestJson(this.fetchFn, 'POST', `${this.base}/user/register`, { nickname, password });
  }

  async login(nickname: string, password: string): Promise<Session> {
    let body: TokenBody;
    try {
      body = await requestJson<TokenBody>(this.fetchFn, 'POST', `${this.base}/user/login`, { nickname, password });
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) throw new ApiError(401, 'Wrong nickname or password.');
      throw e;
    }
    const s = sessionFromTokens(body ?? {}, this.now(), { nickname, user_id: '' });
    this.adopt(s);
    this.emit({ kind: 'login', session: s });
    return s;
  }

  /** Revokes the refresh token (best effort) and forgets the session here and in the other tabs. */
  async logout(): Promise<void> {
    const s = this.session;
    this.forget();
    this.emit({ kind: 'logout' });
    if (s) {
      try {
        await requestJson(this.fetchFn, 'POST', `${this.base}/user/logout`, { refresh_token: s.refresh_token });
      } catch {
        // The token is gone from this browser anyway; it expires on the server in time.
      }
    }
  }

  /** A valid access token, refreshed first when it is about to expire. Rejects with SessionExpiredError. */
  async getAccessToken(): Promise<string> {
    const s = this.session;
    if (!s) throw new SessionExpiredError('Please log in.');
    if (isAccessTokenFresh(s, this.now())) return s.access_token;
    return (await this.refresh()).access_token;
  }

  /**
   * The server refused `usedToken` with a 401: refresh unless someone already replaced that token, and
   * return the token to retry with.
   */
  async tokenAfterUnauthorized(usedToken: string): Promise<string> {
    const s = this.session;
    if (!s) throw new SessionExpiredError();
    if (s.access_token !== usedToken && isAccessTokenFresh(s, this.now())) return s.access_token;
    return (await this.refresh()).access_token;
  }

  /** Refreshes the pair; concurrent callers share one request. */
  refresh(): Promise<Session> {
    if (!this.inflight) {
      const p = this.locks ? this.locks.request(LOCK_NAME, () => this.refreshLocked()) : this.refreshLocked();
      this.inflight = p.finally(() => {
        this.inflight = null;
      });
    }
    return this.inflight;
  }

  private async refreshLocked(): Promise<Session> {
    const mine = this.session;
    if (!mine) throw new SessionExpiredError();
    // Another tab may have refreshed (or logged out) while we waited for the lock.
    const stored = loadSession(this.storage);
    if (!stored) {
      this.expire('You were logged out.');
      throw new SessionExpiredError('You were logged out.');
    }
    if (stored.refresh_token !== mine.refresh_token) {
      this.adopt(stored);
      this.emit({ kind: 'refresh', session: stored });
      if (isAccessTokenFresh(stored, this.now())) return stored;
    }
    const using = this.session!;
    let body: TokenBody;
    try {
      body = await requestJson<TokenBody>(this.fetchFn, 'POST', `${this.base}/user/refresh`, {
        refresh_token: using.refresh_token,
      });
    } catch (e) {
      if (e instanceof ApiError && (e.status === 400 || e.status === 401)) {
        // Lost a race with a tab that could not take the lock? Then the winner's pair is in storage.
        const again = loadSession(this.storage);
        if (again && again.refresh_token !== using.refresh_token) {
          this.adopt(again);
          this.emit({ kind: 'refresh', session: again });
          return again;
        }
        this.expire('Your session has expired. Please log in again.');
        throw new SessionExpiredError();
      }
      // Transient (offline, 5xx, 429): keep the session and try again soon.
      this.scheduleIn(this.retryDelayMs);
      throw e;
    }
    if (this.session?.refresh_token !== using.refresh_token) {
      // Logged out (or in as someone else) while the request was in flight: drop the answer, and spend
      // nothing more. The fresh refresh token would be orphaned; revoke it.
      void requestJson(this.fetchFn, 'POST', `${this.base}/user/logout`, {
        refresh_token: (body as TokenBody)?.refresh_token,
      }).catch(() => undefined);
      throw new SessionExpiredError();
    }
    const s = sessionFromTokens(body ?? {}, this.now(), { nickname: using.nickname, user_id: using.user_id });
    this.adopt(s);
    this.emit({ kind: 'refresh', session: s });
    return s;
  }

  /** Call with the `storage` event of window: another tab logged in, refreshed or logged out. */
  handleStorageEvent(key: string | null): void {
    if (key !== null && key !== SESSION_KEY) return;
    const stored = loadSession(this.storage);
    const had = this.session;
    if (!stored) {
      if (had) {
        this.session = null;
        this.cancelTimer();
        this.emit({ kind: 'expired', message: 'You were logged out in another tab.' });
      }
      return;
    }
    if (had && stored.refresh_token === had.refresh_token && stored.access_token === had.access_token) return;
    this.session = stored;
    this.schedule();
    if (had && had.user_id === stored.user_id) this.emit({ kind: 'refresh', session: stored });
    else this.emit({ kind: 'login', session: stored });
  }

  /** Re-checks the token (e.g. when the tab becomes visible again after timers were throttled). */
  checkSoon(): void {
    const s = this.session;
    if (!s) return;
    if (!isAccessTokenFresh(s, this.now(), 60_000)) this.refresh().catch(() => undefined);
    else this.schedule();
  }

  dispose(): void {
    this.cancelTimer();
    this.listeners.clear();
  }

  private adopt(s: Session): void {
    this.session = s;
    saveSession(this.storage, s);
    this.schedule();
  }

  private forget(): void {
    this.session = null;
    this.cancelTimer();
    clearSession(this.storage);
  }

  private expire(message: string): void {
    const had = this.session !== null;
    this.forget();
    if (had) this.emit({ kind: 'expired', message });
  }

  private cancelTimer(): void {
    if (this.timer !== null) {
      this.clearTimer(this.timer);
      this.timer = null;
    }
  }

  private schedule(): void {
    this.cancelTimer();
    const s = this.session;
    if (!s) return;
    const delay = refreshDelayMs(s, this.now());
    if (delay === null) return;
    // A little jitter so tabs sharing the session do not all wake at the same instant.
    this.scheduleIn(delay + Math.round(this.random() * Math.min(2_000, delay * 0.05)));
  }

  private scheduleIn(ms: number): void {
    this.cancelTimer();
    this.timer = this.setTimer(() => {
      this.timer = null;
      if (!this.session) return;
      this.refresh().catch(() => undefined);
    }, ms);
  }
}
