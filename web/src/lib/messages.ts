/** Chat messages as the server sends them, and merging them into one ordered list without duplicates. */
export type MessageType = 'message' | 'join' | 'leave';

export interface ChatMessage {
  /** Server-assigned, unique, increasing in the order the server accepted messages (a decimal string). */
  id: string;
  type: MessageType;
  content: string;
  room_id: string;
  nickname: string;
  user_id: string;
  time_created: string;
}

const JOIN_TEXT = 'joined the room';
const LEAVE_TEXT = 'left the room';

function str(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

/**
 * Checks one message object from the server. Returns null for anything that is not a message (an error
 * frame, garbage). Tolerates servers that omit `id`/`type` (the seed's API): the type is then derived from
 * the join/leave notice text and a stable id is made from the other fields.
 */
export function normalizeMessage(raw: unknown): ChatMessage | null {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const o = raw as Record<string, unknown>;
  if (o.type === 'error') return null;
  if (typeof o.content !== 'string' || typeof o.nickname !== 'string') return null;
  const content = o.content;
  const nickname = o.nickname;
  const user_id = str(o.user_id) ?? '';
  const room_id = str(o.room_id) ?? '';
  const time_created = str(o.time_created) ?? '';
  let type: MessageType;
  if (o.type === 'message' || o.type === 'join' || o.type === 'leave') type = o.type;
  else type = content === JOIN_TEXT ? 'join' : content === LEAVE_TEXT ? 'leave' : 'message';
  const id = str(o.id) ?? `~${time_created}|${user_id}|${type}|${content}`;
  return { id, type, content, room_id, nickname, user_id, time_created };
}

/** Normalizes a list, dropping what is not a message. */
export function normalizeMessages(raw: unknown): ChatMessage[] {
  if (!Array.isArray(raw)) return [];
  const out: ChatMessage[] = [];
  for (const r of raw) {
    const m = normalizeMessage(r);
    if (m) out.push(m);
  }
  return out;
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** Compares two decimal id strings as numbers (they exceed 2^53, so no Number()). */
export function compareIds(a: string, b: string): number {
  const da = DECIMAL.test(a);
  const db = DECIMAL.test(b);
  if (da && db) {
    if (a.length !== b.length) return a.length - b.length;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (da !== db) return da ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function timeOf(m: ChatMessage): number {
  const t = Date.parse(m.time_created);
  return Number.isNaN(t) ? 0 : t;
}

/** Oldest first: by server id when both have one, else by time, then id. */
export function compareMessages(a: ChatMessage, b: ChatMessage): number {
  if (DECIMAL.test(a.id) && DECIMAL.test(b.id)) return compareIds(a.id, b.id);
  const dt = timeOf(a) - timeOf(b);
  return dt !== 0 ? dt : compareIds(a.id, b.id);
}

/**
 * Merges `incoming` (in any order: a history frame comes newest first) into `existing` (oldest first, no
 * duplicates). The result is oldest first with every id once. When nothing is new, `existing` itself is
 * returned, so a repeated history frame after a reconnect causes no re-render.
 */
export function mergeMessages(existing: readonly ChatMessage[], incoming: readonly ChatMessage[]): ChatMessage[] {
  if (incoming.length === 0) return existing as ChatMessage[];
  const seen = new Set<string>();
  for (const m of existing) seen.add(m.id);
  const fresh: ChatMessage[] = [];
  for (const m of incoming) {
    if (seen.has(m.id)) continue;
    seen.add(m.id);
    fresh.push(m);
  }
  if (fresh.length === 0) return existing as ChatMessage[];
  fresh.sort(compareMessages);
  const last = existing[existing.length - 1];
  const first = fresh[0]!;
  // The common case, a live message: it goes at the end.
  if (!last || compareMessages(last, first) < 0) return existing.concat(fresh);
  return existing.concat(fresh).sort(compareMessages);
}

/** The oldest message's id, the cursor for loading older history. */
export function oldestId(messages: readonly ChatMessage[]): string | null {
  return messages.length > 0 ? messages[0]!.id : null;
}

/** Size of a string in UTF-8 bytes, as the server counts a message's length. */
export function utf8Length(s: string): number {
  return new TextEncoder().encode(s).length;
}

/**
 * True when a history frame received on reconnect does not reach back to what we already had: its oldest
 * message is newer than our newest, so messages between them may be missing.
 */
export function historyLeavesGap(existing: readonly ChatMessage[], history: readonly ChatMessage[]): boolean {
  if (existing.length === 0 || history.length === 0) return false;
  let oldest = history[0]!;
  for (const m of history) if (compareMessages(m, oldest) < 0) oldest = m;
  return compareMessages(oldest, existing[existing.length - 1]!) > 0;
}

/** True when `page` (older history) reaches back to `id`, i.e. it contains it or something older. */
export function reachesBack(page: readonly ChatMessage[], id: string): boolean {
  return page.some((m) => compareIds(m.id, id) <= 0);
}

/** The messages from `id` on (drops everything older). */
export function dropOlderThan(messages: readonly ChatMessage[], id: string): ChatMessage[] {
  return messages.filter((m) => compareIds(m.id, id) >= 0);
}
