import { describe, expect, it } from 'vitest';
import { RoomConnection, type ConnectionState, type SocketLike } from './roomSocket';
import { SessionExpiredError } from './http';
import type { ChatMessage } from './messages';

class FakeSocket implements SocketLike {
  readyState = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  sent: string[] = [];
  closedWith: number | null = null;
  constructor(readonly url: string) {}
  send(d: string) {
    this.sent.push(d);
  }
  close(code?: number) {
    this.closedWith = code ?? 1005;
    this.readyState = 3;
  }
  // Server side
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  frame(v: unknown) {
    this.onmessage?.({ data: JSON.stringify(v) });
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }
}

function m(id: string, extra: Partial<ChatMessage> = {}): ChatMessage {
  return { id, type: 'message', content: `c${id}`, room_id: '1', nickname: 'ann', user_id: '1', time_created: 't', ...extra };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

function setup(opts: { token?: () => Promise<string>; probe?: () => Promise<'ok' | 'gone'> } = {}) {
  const sockets: FakeSocket[] = [];
  const timers: { fn: () => void; ms: number; cancelled: boolean }[] = [];
  const states: ConnectionState[] = [];
  const history: ChatMessage[][] = [];
  const live: ChatMessage[] = [];
  const errors: string[] = [];
  let t = 0;
  const clock = { advance: (ms: number) => (t += ms) };
  const conn = new RoomConnection({
    roomId: '1',
    getAccessToken: opts.token ?? (async () => 'tok'),
    socketUrl: (room, token) => `ws://h/api/chat/rooms/${room}?access_token=Bearer%20${token}`,
    createSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    onHistory: (h) => history.push(h),
    onMessage: (x) => live.push(x),
    onServerError: (e) => errors.push(e),
    onState: (s) => states.push(s),
    probe: opts.probe,
    random: () => 0.5,
    now: () => t,
    setTimer: (fn, ms) => {
      const x = { fn, ms, cancelled: false };
      timers.push(x);
      return x;
    },
    clearTimer: (h) => {
      (h as { cancelled: boolean }).cancelled = true;
    },
  });
  const fireTimer = () => {
    const x = timers.filter((y) => !y.cancelled).at(-1)!;
    x.cancelled = true;
    x.fn();
  };
  return { conn, sockets, timers, states, history, live, errors, clock, fireTimer };
}

describe('RoomConnection', () => {
  it('connects, delivers the history frame, live messages and server errors', async () => {
    const h = setup();
    h.conn.start();
    await flush();
    expect(h.sockets).toHaveLength(1);
    expect(h.sockets[0]!.url).toContain('access_token=Bearer%20tok');
    expect(h.states.at(-1)).toEqual({ status: 'connecting', attempt: 0 });
    h.sockets[0]!.open();
    h.sockets[0]!.frame([m('2'), m('1')]);
    expect(h.states.at(-1)).toEqual({ status: 'open' });
    expect(h.history[0]!.map((x) => x.id)).toEqual(['2', '1']);
    h.sockets[0]!.frame(m('3'));
    expect(h.live.map((x) => x.id)).toEqual(['3']);
    h.sockets[0]!.frame({ type: 'error', message: 'message is too long: at most 4096 bytes' });
    expect(h.errors).toEqual(['message is too long: at most 4096 bytes']);
    expect(h.live).toHaveLength(1);
    expect(h.conn.send('hello')).toBe(true);
    expect(h.sockets[0]!.sent).toEqual(['hello']);
  });

  it('ignores frames that are not JSON', async () => {
    const h = setup();
    h.conn.start();
    await flush();
    h.sockets[0]!.open();
    h.sockets[0]!.onmessage?.({ data: 'not json' });
    h.sockets[0]!.onmessage?.({ data: new ArrayBuffer(2) });
    expect(h.live).toHaveLength(0);
  });

  it('reconnects with growing jittered delays, and resets them after a stable connection', async () => {
    const h = setup();
    h.conn.start();
    await flush();
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      h.sockets.at(-1)!.drop();
      delays.push(h.timers.at(-1)!.ms);
      expect(h.states.at(-1)).toMatchObject({ status: 'waiting', attempt: i });
      h.fireTimer();
      await flush();
    }
    expect(delays).toEqual([375, 750, 1500, 3000]); // random 0.5: 3/4 of each cap
    expect(h.conn.send('x')).toBe(false); // not open
    // A connection that lasts resets the backoff.
    h.sockets.at(-1)!.open();
    h.sockets.at(-1)!.frame([]);
    h.clock.advance(10_000);
    h.sockets.at(-1)!.drop(1001);
    expect(h.timers.at(-1)!.ms).toBe(375);
    expect(h.states.at(-1)).toMatchObject({ status: 'waiting', lastCloseCode: 1001 });
  });

  it('a connection that drops right after opening does not reset the backoff', async () => {
    const h = setup();
    h.conn.start();
    await flush();
    h.sockets[0]!.drop();
    h.fireTimer();
    await flush();
    h.sockets[1]!.open();
    h.sockets[1]!.frame([]);
    h.sockets[1]!.drop(1008);
    expect(h.timers.at(-1)!.ms).toBe(750);
  });

  it('gets a new history frame on every reconnect', async () => {
    const h = setup();
    h.conn.start();
    await flush();
    h.sockets[0]!.open();
    h.sockets[0]!.frame([m('1')]);
    h.sockets[0]!.drop();
    h.fireTimer();
    await flush();
    h.sockets[1]!.open();
    h.sockets[1]!.frame([m('2'), m('1')]);
    expect(h.history.map((x) => x.map((y) => y.id))).toEqual([['1'], ['2', '1']]);
  });

  it('retryNow skips the wait', async () => {
    const h = setup();
    h.conn.start();
    await flush();
    h.sockets[0]!.drop();
    h.conn.retryNow();
    await flush();
    expect(h.sockets).toHaveLength(2);
    expect(h.timers.every((t) => t.cancelled)).toBe(true);
  });

  it('stops when the probe says the room is gone', async () => {
    const h = setup({ probe: async () => 'gone' });
    h.conn.start();
    await flush();
    h.sockets[0]!.drop(1006); // refused before opening
    await flush();
    expect(h.states.at(-1)).toEqual({ status: 'stopped', reason: 'This room does not exist.' });
  });

  it('keeps retrying when the probe finds the room', async () => {
    const h = setup({ probe: async () => 'ok' });
    h.conn.start();
    await flush();
    h.sockets[0]!.drop(1006);
    await flush();
    expect(h.states.at(-1)).toMatchObject({ status: 'waiting' });
    expect(h.timers.filter((t) => !t.cancelled)).toHaveLength(1);
  });

  it('stops when the session has expired', async () => {
    const h = setup({
      token: async () => {
        throw new SessionExpiredError();
      },
    });
    h.conn.start();
    await flush();
    expect(h.sockets).toHaveLength(0);
    expect(h.states.at(-1)).toMatchObject({ status: 'stopped' });
  });

  it('retries later when the token cannot be fetched (server down)', async () => {
    const h = setup({
      token: async () => {
        throw new Error('offline');
      },
    });
    h.conn.start();
    await flush();
    expect(h.states.at(-1)).toMatchObject({ status: 'waiting', attempt: 0 });
  });

  it('stop() closes the socket, or closes it once open when still connecting (no browser error)', async () => {
    const h = setup();
    h.conn.start();
    await flush();
    const s = h.sockets[0]!;
    h.conn.stop();
    expect(s.closedWith).toBeNull();
    s.open();
    expect(s.closedWith).toBe(1000);
    expect(h.states.at(-1)).toEqual({ status: 'stopped', reason: null });

    const h2 = setup();
    h2.conn.start();
    await flush();
    h2.sockets[0]!.open();
    h2.conn.stop();
    expect(h2.sockets[0]!.closedWith).toBe(1000);
    // No reconnect after an intentional stop.
    h2.sockets[0]!.onclose?.({ code: 1000, reason: '' });
    expect(h2.timers).toHaveLength(0);
  });

  it('a stop during the token fetch opens no socket', async () => {
    let release: (t: string) => void = () => undefined;
    const h = setup({ token: () => new Promise<string>((r) => (release = r)) });
    h.conn.start();
    h.conn.stop();
    release('tok');
    await flush();
    expect(h.sockets).toHaveLength(0);
  });
});
