import { describe, expect, it } from 'vitest';
import {
  clearSession,
  isAccessTokenFresh,
  loadSession,
  refreshDelayMs,
  saveSession,
  SESSION_KEY,
  sessionFromTokens,
  type Session,
} from './session';
import { makeJwt, MemoryStorage } from '../test/helpers';

const T0 = 1_800_000_000_000; // ms
const sec = (ms: number) => Math.floor(ms / 1000);

function sessionWith(claims: Record<string, unknown>, extra: Partial<Session> = {}): Session {
  return { nickname: 'ann', user_id: '1', access_token: makeJwt(claims), refresh_token: 'r1', ...extra };
}

describe('refreshDelayMs', () => {
  it('refreshes a 900 s token 60 s before it expires', () => {
    const s = sessionWith({ iat: sec(T0), exp: sec(T0) + 900 });
    expect(refreshDelayMs(s, T0)).toBe(840_000);
    expect(refreshDelayMs(s, T0 + 100_000)).toBe(740_000);
  });

  it('refreshes a short-lived token at 80% of its life', () => {
    const s = sessionWith({ iat: sec(T0), exp: sec(T0) + 10 });
    expect(refreshDelayMs(s, T0)).toBe(8_000);
  });

  it('assumes a 15 min life without iat', () => {
    const s = sessionWith({ exp: sec(T0) + 300 });
    expect(refreshDelayMs(s, T0)).toBe(240_000);
  });

  it('refreshes soon (but not in a hot loop) when the token is expired or about to', () => {
    const s = sessionWith({ iat: sec(T0) - 900, exp: sec(T0) });
    expect(refreshDelayMs(s, T0)).toBe(1_000);
    expect(refreshDelayMs(s, T0 + 3_600_000)).toBe(1_000);
  });

  it('has no schedule without exp (refresh on 401 only)', () => {
    expect(refreshDelayMs(sessionWith({ id: '1' }), T0)).toBeNull();
  });

  it('corrects for the local clock being off', () => {
    // Server clock 10 min ahead of ours.
    const skew = 600_000;
    const s = sessionWith({ iat: sec(T0 + skew), exp: sec(T0 + skew) + 900 }, { clock_skew_ms: skew });
    expect(refreshDelayMs(s, T0)).toBe(840_000);
    expect(isAccessTokenFresh(s, T0)).toBe(true);
    // Without the correction the token would look valid for 25 minutes.
    expect(refreshDelayMs({ ...s, clock_skew_ms: undefined }, T0)).toBe(1_440_000);
  });
});

describe('isAccessTokenFresh', () => {
  it('is fresh until the margin before exp', () => {
    const s = sessionWith({ iat: sec(T0), exp: sec(T0) + 900 });
    expect(isAccessTokenFresh(s, T0)).toBe(true);
    expect(isAccessTokenFresh(s, T0 + 889_000)).toBe(true);
    expect(isAccessTokenFresh(s, T0 + 891_000)).toBe(false);
    expect(isAccessTokenFresh(s, T0 + 2_000_000)).toBe(false);
  });
  it('is fresh without exp', () => {
    expect(isAccessTokenFresh(sessionWith({}), T0)).toBe(true);
  });
});

describe('sessionFromTokens', () => {
  it('notes a real clock skew only', () => {
    const body = { nickname: 'ann', user_id: '1', access_token: makeJwt({ iat: sec(T0) }), refresh_token: 'r' };
    expect(sessionFromTokens(body, T0 + 1_000).clock_skew_ms).toBeUndefined();
    expect(sessionFromTokens(body, T0 - 60_000).clock_skew_ms).toBe(60_000);
  });
  it('keeps the known nickname and id when the answer lacks them', () => {
    const s = sessionFromTokens({ access_token: 'a', refresh_token: 'b' }, T0, { nickname: 'zed', user_id: '9' });
    expect(s).toMatchObject({ nickname: 'zed', user_id: '9' });
  });
  it('refuses an answer without tokens', () => {
    expect(() => sessionFromTokens({ access_token: 'a' }, T0)).toThrow();
  });
});

describe('storage', () => {
  it('round-trips and rejects garbage', () => {
    const st = new MemoryStorage();
    expect(loadSession(st)).toBeNull();
    const s = sessionWith({ exp: 1 });
    saveSession(st, s);
    expect(loadSession(st)).toEqual(s);
    clearSession(st);
    expect(loadSession(st)).toBeNull();
    st.setItem(SESSION_KEY, '{not json');
    expect(loadSession(st)).toBeNull();
    st.setItem(SESSION_KEY, JSON.stringify({ nickname: 'a' }));
    expect(loadSession(st)).toBeNull();
  });
  it('survives a storage that throws', () => {
    const bad = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('denied');
      },
      removeItem: () => {
        throw new Error('denied');
      },
    };
    expect(loadSession(bad)).toBeNull();
    expect(() => saveSession(bad, sessionWith({}))).not.toThrow();
    expect(() => clearSession(bad)).not.toThrow();
  });
});
