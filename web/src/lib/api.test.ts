import { describe, expect, it, vi } from 'vitest';
import { ApiClient, roomSocketUrl } from './api';
import { ApiError, describeError, errorFromResponse, requestJson, SessionExpiredError } from './http';
import { jsonResponse } from '../test/helpers';

function fakeAuth(tokens = ['t1', 't2']) {
  let i = 0;
  return {
    getAccessToken: vi.fn(async () => tokens[i]!),
    tokenAfterUnauthorized: vi.fn(async (used: string) => {
      expect(used).toBe(tokens[i]);
      i++;
      return tokens[i]!;
    }),
  };
}

describe('errorFromResponse', () => {
  it("uses the server's message", async () => {
    const e = await errorFromResponse(jsonResponse(409, { message: 'nickname already taken' }));
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(409);
    expect(e.message).toBe('nickname already taken');
  });

  it('falls back to the status when the body is not JSON or has no message', async () => {
    expect((await errorFromResponse(new Response('<html>Bad Gateway</html>', { status: 502 }))).message).toMatch(
      /server had a problem/,
    );
    expect((await errorFromResponse(jsonResponse(404, {}))).message).toBe('Not found.');
    expect((await errorFromResponse(new Response('', { status: 400 }))).message).toBe('The request was not valid.');
  });

  it('reads Retry-After on 429', async () => {
    const e = await errorFromResponse(jsonResponse(429, { message: 'too many requests' }, { 'Retry-After': '3' }));
    expect(e.retryAfterS).toBe(3);
    expect(e.transient).toBe(true);
  });

  it('shows a 503 reason but hides other 5xx bodies', async () => {
    expect((await errorFromResponse(jsonResponse(503, { message: 'server is shutting down' }))).message).toBe(
      'server is shutting down',
    );
    expect((await errorFromResponse(jsonResponse(500, { message: 'SQL error near ...' }))).message).not.toMatch(/SQL/);
  });
});

describe('requestJson', () => {
  it('sends JSON and parses the answer', async () => {
    const f = vi.fn(async () => jsonResponse(200, { ok: 1 }));
    expect(await requestJson(f, 'POST', '/api/x', { a: 1 })).toEqual({ ok: 1 });
    const [url, init] = f.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/x');
    expect(init.method).toBe('POST');
    expect(init.body).toBe('{"a":1}');
    expect((init.headers as Record<string, string>)['Content-Type']).toBe('application/json');
  });

  it('accepts an empty 200 body (register may answer with nothing)', async () => {
    expect(await requestJson(async () => new Response('', { status: 200 }), 'POST', '/x', {})).toBeNull();
  });

  it('turns a network failure into status 0', async () => {
    const e = await requestJson(
      async () => {
        throw new TypeError('Failed to fetch');
      },
      'GET',
      '/x',
    ).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).status).toBe(0);
    expect((e as ApiError).transient).toBe(true);
  });

  it('rejects a 200 whose body is not JSON', async () => {
    await expect(requestJson(async () => new Response('<html>', { status: 200 }), 'GET', '/x')).rejects.toBeInstanceOf(
      ApiError,
    );
  });
});

describe('ApiClient', () => {
  it('sends the bearer token to relative /api URLs', async () => {
    const f = vi.fn(async (_u: string, _i?: RequestInit) => jsonResponse(200, [{ id: '1', name: 'general', time_created: 't' }]));
    const api = new ApiClient(fakeAuth(), f);
    expect(await api.listRooms()).toEqual([{ id: '1', name: 'general', time_created: 't' }]);
    expect(f.mock.calls[0]![0]).toBe('/api/chat/rooms');
    expect((f.mock.calls[0]![1]!.headers as Record<string, string>).Authorization).toBe('Bearer t1');
  });

  it('on a 401 refreshes and retries exactly once', async () => {
    const auth = fakeAuth();
    const f = vi
      .fn<(u: string, i?: RequestInit) => Promise<Response>>()
      .mockResolvedValueOnce(jsonResponse(401, { message: 'token expired' }))
      .mockResolvedValueOnce(jsonResponse(200, [{ nickname: 'bob' }, { nickname: 'ann' }, { nickname: 'bob' }]));
    const api = new ApiClient(auth, f);
    expect(await api.onlineUsers('5')).toEqual([{ nickname: 'ann' }, { nickname: 'bob' }]);
    expect(auth.tokenAfterUnauthorized).toHaveBeenCalledTimes(1);
    expect((f.mock.calls[1]![1]!.headers as Record<string, string>).Authorization).toBe('Bearer t2');
  });

  it('gives up after the retry also gets a 401', async () => {
    const auth = fakeAuth(['t1', 't2', 't3']);
    const f = vi.fn(async () => jsonResponse(401, { message: 'invalid token' }));
    const api = new ApiClient(auth, f);
    await expect(api.listRooms()).rejects.toMatchObject({ status: 401 });
    expect(f).toHaveBeenCalledTimes(2);
    expect(auth.tokenAfterUnauthorized).toHaveBeenCalledTimes(1);
  });

  it('does not retry other errors', async () => {
    const auth = fakeAuth();
    const f = vi.fn(async () => jsonResponse(400, { message: 'name must be 1 to 50 characters' }));
    await expect(new ApiClient(auth, f).createRoom('')).rejects.toMatchObject({
      status: 400,
      message: 'name must be 1 to 50 characters',
    });
    expect(f).toHaveBeenCalledTimes(1);
  });

  it('propagates an expired session from the refresh', async () => {
    const auth = {
      getAccessToken: async () => 't1',
      tokenAfterUnauthorized: async () => {
        throw new SessionExpiredError();
      },
    };
    const f = vi.fn(async () => jsonResponse(401, { message: 'expired' }));
    await expect(new ApiClient(auth, f).listRooms()).rejects.toBeInstanceOf(SessionExpiredError);
  });

  it('builds the scroll-back URL', async () => {
    const f = vi.fn(async (_u: string) => jsonResponse(200, []));
    const api = new ApiClient(fakeAuth(), f);
    await api.olderMessages('7', '123', 50);
    await api.olderMessages('7', null, 20);
    expect(f.mock.calls[0]![0]).toBe('/api/chat/rooms/7/messages?limit=50&before=123');
    expect(f.mock.calls[1]![0]).toBe('/api/chat/rooms/7/messages?limit=20');
  });

  it('accepts numeric ids in rooms and skips malformed entries', async () => {
    const f = vi.fn(async () => jsonResponse(200, [{ id: 3, name: 'x' }, { name: 'no id' }, null]));
    expect(await new ApiClient(fakeAuth(), f).listRooms()).toEqual([{ id: '3', name: 'x', time_created: '' }]);
  });
});

describe('roomSocketUrl', () => {
  it('uses ws: on http and wss: on https, on the page host, with the Bearer token in the query', () => {
    expect(roomSocketUrl({ protocol: 'http:', host: 'localhost:8080' }, '5', 'a.b.c')).toBe(
      'ws://localhost:8080/api/chat/rooms/5?access_token=Bearer%20a.b.c',
    );
    expect(roomSocketUrl({ protocol: 'https:', host: 'chat.example' }, '5', 'a.b.c')).toBe(
      'wss://chat.example/api/chat/rooms/5?access_token=Bearer%20a.b.c',
    );
  });
});

describe('describeError', () => {
  it('makes a sentence', () => {
    expect(describeError(new ApiError(400, 'nickname must be 3 to 50 characters'))).toBe(
      'Nickname must be 3 to 50 characters.',
    );
    expect(describeError(new ApiError(0, 'Cannot reach the server.'))).toBe('Cannot reach the server.');
    expect(describeError('weird')).toBe('Something went wrong.');
  });
});
