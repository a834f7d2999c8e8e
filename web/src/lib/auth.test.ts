import { describe, expect, it, vi } from 'vitest';
import { AuthManager, type AuthChange } from './auth';
import { ApiError, SessionExpiredError } from './http';
import { loadSession, SESSION_KEY, saveSession } from './session';
import { FakeLocks, MemoryStorage } from '../test/helpers';
import { FakeAuthServer } from '../test/fakeServer';

interface Timer {
  fn: () => void;
  ms: number;
  cancelled: boolean;
}

function setup(opts: { storage?: MemoryStorage; locks?: FakeLocks | null; server?: FakeAuthServer; clock?: { t: number } } = {}) {
  const clock = opts.clock ?? { t: 1_800_000_000_000 };
  const server = opts.server ?? new FakeAuthServer(() => clock.t);
  const storage = opts.storage ?? new MemoryStorage();
  const timers: Timer[] = [];
  const changes: AuthChange[] = [];
  const auth = new AuthManager({
    storage,
    fetch: server.fetch,
    locks: opts.locks === undefined ? new FakeLocks() : opts.locks,
    now: () => clock.t,
    random: () => 0,
    setTimer: (fn, ms) => {
      const t = { fn, ms, cancelled: false };
      timers.push(t);
      return t;
    },
    clearTimer: (h) => {
      (h as Timer).cancelled = true;
    },
  });
  auth.subscribe((c) => changes.push(c));
  const liveTimers = () => timers.filter((t) => !t.cancelled);
  return { auth, server, storage, clock, timers, liveTimers, changes };
}

describe('AuthManager: login and tokens', () => {
  it('logs in, stores the session and schedules the refresh 60 s before expiry', async () => {
    const { auth, storage, liveTimers, changes } = setup();
    const s = await auth.login('ann', 'secret-pass');
    expect(s.nickname).toBe('ann');
    expect(loadSession(storage)).toEqual(s);
    expect(changes.map((c) => c.kind)).toEqual(['login']);
    expect(liveTimers()).toHaveLength(1);
    expect(liveTimers()[0]!.ms).toBe(840_000);
  });

  it('turns a 401 on login into a clear message', async () => {
    const { auth, storage } = setup();
    await expect(auth.login('ann', 'wrong-pass')).rejects.toMatchObject({ status: 401, message: 'Wrong nickname or password.' });
    expect(loadSession(storage)).toBeNull();
  });

  it('keeps the session across a reload (a new manager on the same storage)', async () => {
    const { auth, storage, server, clock } = setup();
    const s = await auth.login('ann', 'secret-pass');
    const second = setup({ storage, server, clock });
    expect(second.auth.current).toEqual(s);
    expect(await second.auth.getAccessToken()).toBe(s.access_token);
    expect(server.count('/user/refresh')).toBe(0);
  });

  it('refreshes an expired token before handing it out', async () => {
    const { auth, server, clock } = setup();
    const s = await auth.login('ann', 'secret-pass');
    clock.t += 895_000; // 5 s left: under the margin
    const token = await auth.getAccessToken();
    expect(token).not.toBe(s.access_token);
    expect(server.count('/user/refresh')).toBe(1);
  });

  it('the scheduled timer refreshes and schedules the next one', async () => {
    const { auth, server, clock, liveTimers, changes } = setup();
    await auth.login('ann', 'secret-pass');
    clock.t += 840_000;
    liveTimers()[0]!.fn();
    await vi.waitFor(() => expect(changes.map((c) => c.kind)).toContain('refresh'));
    expect(server.count('/user/refresh')).toBe(1);
    expect(liveTimers().at(-1)!.ms).toBe(840_000);
  });
});

describe('AuthManager: serialized refresh', () => {
  it('shares one in-flight refresh between concurrent callers', async () => {
    const { auth, server, clock } = setup();
    await auth.login('ann', 'secret-pass');
    clock.t += 900_000;
    const tokens = await Promise.all([auth.getAccessToken(), auth.getAccessToken(), auth.refresh(), auth.getAccessToken()]);
    expect(new Set(tokens.map((t) => (typeof t === 'string' ? t : t.access_token))).size).toBe(1);
    expect(server.count('/user/refresh')).toBe(1);
    expect(server.revoked).toBe(false);
  });

  it('two tabs (shared storage + Web Locks) refreshing at once spend the refresh token once', async () => {
    const storage = new MemoryStorage();
    const locks = new FakeLocks();
    const a = setup({ storage, locks });
    await a.auth.login('ann', 'secret-pass');
    const b = setup({ storage, locks, server: a.server, clock: a.clock });
    a.clock.t += 900_000;
    const [sa, sb] = await Promise.all([a.auth.refresh(), b.auth.refresh()]);
    expect(a.server.count('/user/refresh')).toBe(1);
    expect(a.server.revoked).toBe(false);
    expect(sa.refresh_token).toBe(sb.refresh_token);
    expect(loadSession(storage)!.refresh_token).toBe(sa.refresh_token);
  });

  it('without Web Locks a tab adopts the pair another tab already stored instead of reusing its token', async () => {
    const storage = new MemoryStorage();
    const a = setup({ storage, locks: null });
    await a.auth.login('ann', 'secret-pass');
    const b = setup({ storage, locks: null, server: a.server, clock: a.clock });
    a.clock.t += 900_000;
    const sa = await a.auth.refresh();
    // B has not seen a storage event yet; its refresh must not spend the old token.
    const sb = await b.auth.refresh();
    expect(sb.refresh_token).toBe(sa.refresh_token);
    expect(a.server.count('/user/refresh')).toBe(1);
    expect(a.server.revoked).toBe(false);
  });

  it('a storage event from another tab updates the session and its schedule', async () => {
    const storage = new MemoryStorage();
    const a = setup({ storage });
    await a.auth.login('ann', 'secret-pass');
    const b = setup({ storage, server: a.server, clock: a.clock });
    a.clock.t += 850_000;
    const sa = await a.auth.refresh();
    b.auth.handleStorageEvent(SESSION_KEY);
    expect(b.auth.current?.refresh_token).toBe(sa.refresh_token);
    expect(b.changes.at(-1)?.kind).toBe('refresh');
    expect(b.liveTimers()).toHaveLength(1);
    expect(b.liveTimers()[0]!.ms).toBe(840_000);
    b.auth.handleStorageEvent('some-other-key');
    expect(b.changes).toHaveLength(1);
  });

  it('a logout in another tab logs this tab out', async () => {
    const storage = new MemoryStorage();
    const a = setup({ storage });
    await a.auth.login('ann', 'secret-pass');
    const b = setup({ storage, server: a.server, clock: a.clock });
    await a.auth.logout();
    b.auth.handleStorageEvent(SESSION_KEY);
    expect(b.auth.current).toBeNull();
    expect(b.changes.at(-1)).toEqual({ kind: 'expired', message: 'You were logged out in another tab.' });
    expect(b.liveTimers()).toHaveLength(0);
  });
});

describe('AuthManager: refresh failures', () => {
  it('a refused refresh ends the session with a clear message', async () => {
    const { auth, server, storage, clock, changes } = setup();
    await auth.login('ann', 'secret-pass');
    server.revoked = true;
    clock.t += 900_000;
    const err = await auth.getAccessToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SessionExpiredError);
    expect((err as Error).message).toMatch(/session has expired/i);
    expect(auth.current).toBeNull();
    expect(loadSession(storage)).toBeNull();
    expect(changes.at(-1)).toEqual({ kind: 'expired', message: 'Your session has expired. Please log in again.' });
  });

  it('a transient failure keeps the session and retries later', async () => {
    const { auth, server, clock, liveTimers } = setup();
    const s = await auth.login('ann', 'secret-pass');
    clock.t += 900_000;
    server.failNext = 'network';
    const err = await auth.refresh().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(0);
    expect(auth.current).toEqual(s);
    expect(liveTimers().at(-1)!.ms).toBe(5_000);
    server.failNext = 503;
    await expect(auth.refresh()).rejects.toMatchObject({ status: 503 });
    expect(auth.current).toEqual(s);
    const s2 = await auth.refresh();
    expect(s2.refresh_token).not.toBe(s.refresh_token);
  });

  it('refresh without a session fails as expired', async () => {
    const { auth } = setup();
    await expect(auth.getAccessToken()).rejects.toBeInstanceOf(SessionExpiredError);
    await expect(auth.refresh()).rejects.toBeInstanceOf(SessionExpiredError);
  });

  it('tokenAfterUnauthorized does not refresh again when the token was already replaced', async () => {
    const { auth, server } = setup();
    const s1 = await auth.login('ann', 'secret-pass');
    const s2 = await auth.refresh();
    expect(await auth.tokenAfterUnauthorized(s1.access_token)).toBe(s2.access_token);
    expect(server.count('/user/refresh')).toBe(1);
    const t3 = await auth.tokenAfterUnauthorized(s2.access_token);
    expect(t3).not.toBe(s2.access_token);
    expect(server.count('/user/refresh')).toBe(2);
  });
});

describe('AuthManager: logout', () => {
  it('revokes the refresh token and forgets the session', async () => {
    const { auth, server, storage, changes, liveTimers } = setup();
    const s = await auth.login('ann', 'secret-pass');
    await auth.logout();
    expect(server.calls.at(-1)).toMatchObject({ body: { refresh_token: s.refresh_token } });
    expect(loadSession(storage)).toBeNull();
    expect(changes.at(-1)).toEqual({ kind: 'logout' });
    expect(liveTimers()).toHaveLength(0);
  });

  it('forgets the session even when the server cannot be reached', async () => {
    const { auth, server, storage } = setup();
    await auth.login('ann', 'secret-pass');
    server.failNext = 'network';
    await auth.logout();
    expect(loadSession(storage)).toBeNull();
  });

  it('ignores a stored session that is not valid', () => {
    const storage = new MemoryStorage();
    storage.setItem(SESSION_KEY, '{"nickname":1}');
    expect(setup({ storage }).auth.current).toBeNull();
    saveSession(storage, { nickname: 'a', user_id: '1', access_token: 'x.y.z', refresh_token: 'r' });
    expect(setup({ storage }).auth.current?.nickname).toBe('a');
  });
});
