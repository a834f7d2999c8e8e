/** An in-memory stand-in for the auth endpoints with the real server's refresh-token rules. */
import { jsonResponse, makeJwt } from './helpers';

export class FakeAuthServer {
  now: () => number;
  ttlS = 900;
  private seq = 0;
  /** refresh token -> state */
  readonly tokens = new Map<string, 'live' | 'used'>();
  revoked = false;
  calls: { path: string; body: unknown; auth: string | null }[] = [];
  failNext: number | 'network' | null = null;

  constructor(now: () => number) {
    this.now = now;
  }

  issue(): { nickname: string; user_id: string; access_token: string; refresh_token: string } {
    const iat = Math.floor(this.now() / 1000);
    const rt = `rt-${++this.seq}`;
    this.tokens.set(rt, 'live');
    return {
      nickname: 'ann',
      user_id: '1',
      access_token: makeJwt({ id: '1', nickname: 'ann', iat, exp: iat + this.ttlS, n: this.seq }),
      refresh_token: rt,
    };
  }

  fetch = async (url: string, init?: RequestInit): Promise<Response> => {
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    const headers = (init?.headers ?? {}) as Record<string, string>;
    this.calls.push({ path: url, body, auth: headers.Authorization ?? null });
    // Let concurrent callers interleave like real I/O.
    await new Promise((r) => setTimeout(r, 1));
    if (this.failNext !== null) {
      const f = this.failNext;
      this.failNext = null;
      if (f === 'network') throw new TypeError('Failed to fetch');
      return jsonResponse(f, { message: 'injected failure' });
    }
    if (url.endsWith('/user/login')) {
      if (body.password !== 'secret-pass') return jsonResponse(401, { message: 'invalid credentials' });
      return jsonResponse(200, this.issue());
    }
    if (url.endsWith('/user/refresh')) {
      const st = this.tokens.get(body.refresh_token);
      if (this.revoked || st === undefined) return jsonResponse(401, { message: 'invalid refresh token' });
      if (st === 'used') {
        // Reuse of a spent token: the whole session is revoked.
        this.revoked = true;
        return jsonResponse(401, { message: 'refresh token reused' });
      }
      this.tokens.set(body.refresh_token, 'used');
      return jsonResponse(200, this.issue());
    }
    if (url.endsWith('/user/logout')) {
      this.tokens.set(body.refresh_token, 'used');
      return jsonResponse(200, undefined);
    }
    return jsonResponse(404, { message: 'not found' });
  };

  count(suffix: string): number {
    return this.calls.filter((c) => c.path.endsWith(suffix)).length;
  }
}
