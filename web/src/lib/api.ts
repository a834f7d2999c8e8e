/** The chat API, authenticated, with one retry after a refresh when the server answers 401. */
import type { AuthManager } from './auth';
import { ApiError, requestJson, type FetchFn } from './http';
import { normalizeMessages, type ChatMessage } from './messages';

export interface Room {
  id: string;
  name: string;
  time_created: string;
}

export interface OnlineUser {
  nickname: string;
}

function normalizeRoom(raw: unknown): Room | null {
  if (!raw || typeof raw !== 'object') return null;
  const o = raw as Record<string, unknown>;
  const id = typeof o.id === 'string' || typeof o.id === 'number' ? String(o.id) : null;
  if (id === null || typeof o.name !== 'string') return null;
  return { id, name: o.name, time_created: typeof o.time_created === 'string' ? o.time_created : '' };
}

export class ApiClient {
  constructor(
    private readonly auth: Pick<AuthManager, 'getAccessToken' | 'tokenAfterUnauthorized'>,
    private readonly fetchFn: FetchFn,
    private readonly base = '/api',
  ) {}

  /** An authenticated JSON request: on a 401 the token is refreshed and the request tried once more. */
  async authed<T>(method: string, path: string, body?: unknown): Promise<T> {
    const token = await this.auth.getAccessToken();
    try {
      return await requestJson<T>(this.fetchFn, method, this.base + path, body, { Authorization: `Bearer ${token}` });
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) throw e;
    }
    const fresh = await this.auth.tokenAfterUnauthorized(token);
    return requestJson<T>(this.fetchFn, method, this.base + path, body, { Authorization: `Bearer ${fresh}` });
  }

  async listRooms(): Promise<Room[]> {
    const raw = await this.authed<unknown>('GET', '/chat/rooms');
    if (!Array.isArray(raw)) return [];
    return raw.map(normalizeRoom).filter((r): r is Room => r !== null);
  }

  async createRoom(name: string): Promise<Room> {
    const raw = await this.authed<unknown>('POST', '/chat/rooms', { name });
    const room = normalizeRoom(raw);
    if (!room) throw new ApiError(500, 'The server did not return the new room.');
    return room;
  }

  async onlineUsers(roomId: string): Promise<OnlineUser[]> {
    const raw = await this.authed<unknown>('GET', `/chat/rooms/${encodeURIComponent(roomId)}/clients`);
    if (!Array.isArray(raw)) return [];
    const seen = new Set<string>();
    const out: OnlineUser[] = [];
    for (const r of raw) {
      const nick = r && typeof r === 'object' ? (r as { nickname?: unknown }).nickname : undefined;
      if (typeof nick === 'string' && !seen.has(nick)) {
        seen.add(nick);
        out.push({ nickname: nick });
      }
    }
    return out.sort((a, b) => a.nickname.localeCompare(b.nickname));
  }

  /** Older history, newest first as the server sends it. */
  async olderMessages(roomId: string, before: string | null, limit: number): Promise<ChatMessage[]> {
    const q = new URLSearchParams({ limit: String(limit) });
    if (before) q.set('before', before);
    const raw = await this.authed<unknown>('GET', `/chat/rooms/${encodeURIComponent(roomId)}/messages?${q}`);
    return normalizeMessages(raw);
  }
}

/** The room's WebSocket URL, on this page's host: ws: for http:, wss: for https:. */
export function roomSocketUrl(loc: { protocol: string; host: string }, roomId: string, accessToken: string): string {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  const token = encodeURIComponent(`Bearer ${accessToken}`);
  return `${scheme}//${loc.host}/api/chat/rooms/${encodeURIComponent(roomId)}?access_token=${token}`;
}
