/** Everything a room page shows: the history and live messages, the online list, the connection. */
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, auth, socketUrl } from '../app/services';
import { ApiError, describeError, SessionExpiredError } from '../lib/http';
import {
  compareIds,
  dropOlderThan,
  historyLeavesGap,
  mergeMessages,
  oldestId,
  reachesBack,
  type ChatMessage,
} from '../lib/messages';
import { RoomConnection, type ConnectionState, type SocketLike } from '../lib/roomSocket';
import type { OnlineUser } from '../lib/api';

export const PAGE_SIZE = 50;
const GAP_PAGE_SIZE = 100;
const GAP_MAX_PAGES = 5;

export interface SendFailure {
  message: string;
  /** The rejected text, to give back to the composer. */
  draft: string | null;
  seq: number;
}

export interface RoomView {
  messages: ChatMessage[];
  historyLoaded: boolean;
  hasOlder: boolean;
  loadingOlder: boolean;
  olderError: string | null;
  connection: ConnectionState;
  online: OnlineUser[] | null;
  sendFailure: SendFailure | null;
  loadOlder(): void;
  send(content: string): boolean;
  retryNow(): void;
  dismissSendFailure(): void;
}

export function useRoom(roomId: string, myUserId: string): RoomView {
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [historyLoaded, setHistoryLoaded] = useState(false);
  const [hasOlder, setHasOlder] = useState(true);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [olderError, setOlderError] = useState<string | null>(null);
  const [connection, setConnection] = useState<ConnectionState>({ status: 'connecting', attempt: 0 });
  const [online, setOnline] = useState<OnlineUser[] | null>(null);
  const [sendFailure, setSendFailure] = useState<SendFailure | null>(null);

  const connRef = useRef<RoomConnection | null>(null);
  const messagesRef = useRef<ChatMessage[]>([]);
  const pending = useRef<string[]>([]);
  const failureSeq = useRef(0);
  const alive = useRef(true);
  const onlineTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const olderBusy = useRef(false);
  const myIdRef = useRef(myUserId);
  myIdRef.current = myUserId;

  const apply = useCallback((update: (prev: ChatMessage[]) => ChatMessage[]) => {
    const next = update(messagesRef.current);
    if (next !== messagesRef.current) {
      messagesRef.current = next;
      setMessages(next);
    }
  }, []);

  const refreshOnline = useCallback(
    (delayMs: number) => {
      if (onlineTimer.current) clearTimeout(onlineTimer.current);
      onlineTimer.current = setTimeout(() => {
        onlineTimer.current = null;
        api.onlineUsers(roomId).then(
          (users) => alive.current && setOnline(users),
          () => undefined, // shown as stale; the next join/leave or reconnect refreshes it
        );
      }, delayMs);
    },
    [roomId],
  );

  /** After a reconnect whose history does not reach what we had: fetch the pages in between. */
  const fillGap = useCallback(
    async (historyOldest: string, knownNewest: string) => {
      let cursor = historyOldest;
      for (let i = 0; i < GAP_MAX_PAGES; i++) {
        let page: ChatMessage[];
        try {
          page = await api.olderMessages(roomId, cursor, GAP_PAGE_SIZE);
        } catch {
          break;
        }
        if (!alive.current) return;
        apply((prev) => mergeMessages(prev, page));
        if (page.length < GAP_PAGE_SIZE || reachesBack(page, knownNewest)) return;
        cursor = oldestId([...page].reverse()) ?? cursor;
      }
      if (!alive.current) return;
      // Could not close the gap: keep only the contiguous newest part; "Load older" fetches the rest.
      apply((prev) => dropOlderThan(prev, cursor));
      setHasOlder(true);
    },
    [roomId, apply],
  );

  useEffect(() => {
    alive.current = true;
    messagesRef.current = [];
    setMessages([]);
    setHistoryLoaded(false);
    setHasOlder(true);
    setOlderError(null);
    setOnline(null);
    setSendFailure(null);
    pending.current = [];

    const conn = new RoomConnection({
      roomId,
      getAccessToken: () => auth.getAccessToken(),
      socketUrl,
      createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
      onHistory: (history) => {
        const prev = messagesRef.current;
        const gap = historyLeavesGap(prev, history);
        const knownNewest = prev.length > 0 ? prev[prev.length - 1]!.id : null;
        apply((p) => mergeMessages(p, history));
        setHistoryLoaded(true);
        if (prev.length === 0) {
          if (history.length === 0) setHasOlder(false);
          else {
            // Is there anything before the first frame? One cheap look, so a small room says so at once.
            let oldest = history[0]!.id;
            for (const m of history) if (compareIds(m.id, oldest) < 0) oldest = m.id;
            api.olderMessages(roomId, oldest, 1).then(
              (page) => alive.current && page.length === 0 && setHasOlder(false),
              () => undefined,
            );
          }
        }
        if (gap && knownNewest) {
          let oldest = history[0]!.id;
          for (const m of history) if (compareIds(m.id, oldest) < 0) oldest = m.id;
          void fillGap(oldest, knownNewest);
        }
        refreshOnline(100);
      },
      onMessage: (m) => {
        apply((p) => mergeMessages(p, [m]));
        if (m.type === 'message' && m.user_id === myIdRef.current) {
          const i = pending.current.indexOf(m.content);
          if (i >= 0) pending.current.splice(i, 1);
        }
        if (m.type === 'join' || m.type === 'leave') refreshOnline(100);
      },
      onServerError: (message) => {
        // The server answers a rejected message right away and in order: it is the oldest one pending.
        const draft = pending.current.shift() ?? null;
        failureSeq.current++;
        setSendFailure({ message, draft, seq: failureSeq.current });
      },
      onState: (s) => {
        if (s.status !== 'open') pending.current = [];
        setConnection(s);
      },
      probe: async () => {
        try {
          const users = await api.onlineUsers(roomId);
          if (alive.current) setOnline(users);
          return 'ok';
        } catch (e) {
          if (e instanceof ApiError && (e.status === 404 || e.status === 400)) return 'gone';
          if (e instanceof SessionExpiredError) throw e;
          return 'ok';
        }
      },
    });
    connRef.current = conn;
    conn.start();

    const onOnline = () => conn.retryNow();
    window.addEventListener('online', onOnline);
    return () => {
      alive.current = false;
      window.removeEventListener('online', onOnline);
      if (onlineTimer.current) clearTimeout(onlineTimer.current);
      conn.stop();
      connRef.current = null;
    };
  }, [roomId, apply, fillGap, refreshOnline]);

  const loadOlder = useCallback(() => {
    if (olderBusy.current) return;
    const before = oldestId(messagesRef.current);
    olderBusy.current = true;
    setLoadingOlder(true);
    setOlderError(null);
    api.olderMessages(roomId, before, PAGE_SIZE).then(
      (page) => {
        olderBusy.current = false;
        if (!alive.current) return;
        setLoadingOlder(false);
        apply((p) => mergeMessages(p, page));
        if (page.length < PAGE_SIZE) setHasOlder(false);
      },
      (e: unknown) => {
        olderBusy.current = false;
        if (!alive.current) return;
        setLoadingOlder(false);
        setOlderError(describeError(e));
      },
    );
  }, [roomId, apply]);

  const send = useCallback((content: string) => {
    const conn = connRef.current;
    if (!conn || !conn.send(content)) return false;
    pending.current.push(content);
    setSendFailure(null);
    return true;
  }, []);

  const retryNow = useCallback(() => connRef.current?.retryNow(), []);
  const dismissSendFailure = useCallback(() => setSendFailure(null), []);

  return {
    messages,
    historyLoaded,
    hasOlder,
    loadingOlder,
    olderError,
    connection,
    online,
    sendFailure,
    loadOlder,
    send,
    retryNow,
    dismissSendFailure,
  };
}
