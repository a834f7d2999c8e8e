/**
 * The conversation, oldest at the top. Sticks to the bottom while the reader is there; when they have
 * scrolled up, new messages do not move the view (a "new messages" button appears instead), and loading
 * older messages keeps what they were looking at in place.
 */
import { Fragment, useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { ChatMessage } from '../lib/messages';
import { dayKey, dayLabel, formatFull, formatTime } from '../lib/format';
import { Avatar } from './Avatar';

const NEAR_BOTTOM_PX = 80;

interface Props {
  messages: ChatMessage[];
  myUserId: string;
  historyLoaded: boolean;
  hasOlder: boolean;
  loadingOlder: boolean;
  olderError: string | null;
  onLoadOlder(): void;
}

export function MessageList({ messages, myUserId, historyLoaded, hasOlder, loadingOlder, olderError, onLoadOlder }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const prev = useRef({ first: null as string | null, last: null as string | null, height: 0, top: 0, count: 0 });
  const [unseen, setUnseen] = useState(0);

  const nearBottom = (el: HTMLElement) => el.scrollHeight - el.scrollTop - el.clientHeight <= NEAR_BOTTOM_PX;

  const remember = (el: HTMLElement) => {
    prev.current.height = el.scrollHeight;
    prev.current.top = el.scrollTop;
  };

  const onScroll = useCallback(() => {
    const el = ref.current;
    if (!el) return;
    stick.current = nearBottom(el);
    if (stick.current) setUnseen(0);
    remember(el);
  }, []);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const p = prev.current;
    const first = messages[0]?.id ?? null;
    const last = messages[messages.length - 1]?.id ?? null;
    if (p.count === 0 && messages.length > 0) {
      el.scrollTop = el.scrollHeight;
      stick.current = true;
    } else if (first !== p.first && last === p.last) {
      // Older messages were put above: keep the same content under the reader's eyes.
      el.scrollTop = p.top + (el.scrollHeight - p.height);
    } else if (last !== p.last && messages.length > 0) {
      const newest = messages[messages.length - 1]!;
      const mine = newest.user_id === myUserId && newest.type === 'message';
      if (stick.current || mine) {
        el.scrollTop = el.scrollHeight;
        stick.current = true;
        setUnseen(0);
      } else {
        const from = p.last ? messages.findIndex((m) => m.id === p.last) + 1 : 0;
        const added = messages.slice(from).filter((m) => m.type === 'message').length;
        if (added > 0) setUnseen((n) => n + added);
      }
    }
    p.first = first;
    p.last = last;
    p.count = messages.length;
    remember(el);
  }, [messages, myUserId]);

  // The list's box changes size (window resize, the phone keyboard, the composer growing): stay at the bottom.
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => {
      if (stick.current) el.scrollTop = el.scrollHeight;
      remember(el);
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const jumpToLatest = () => {
    const el = ref.current;
    if (!el) return;
    // At once, not smoothly: a smooth scroll's intermediate positions unstick the list, and one that stops short (the
    // list grew meanwhile, another scroll cut in) left the reader above the newest message, unstuck.
    el.scrollTop = el.scrollHeight;
    stick.current = true;
    setUnseen(0);
  };

  const now = new Date();
  let lastDay = '';

  return (
    <div className="message-pane">
      <div
        className="message-scroll"
        ref={ref}
        onScroll={onScroll}
        role="log"
        aria-label="Messages"
        aria-live="polite"
        aria-relevant="additions"
        tabIndex={0}
        data-testid="message-list"
      >
        <div className="history-start">
          {historyLoaded && hasOlder && (
            <button type="button" className="btn btn-ghost btn-small" onClick={onLoadOlder} disabled={loadingOlder}>
              {loadingOlder ? 'Loading…' : 'Load older messages'}
            </button>
          )}
          {historyLoaded && !hasOlder && <p className="muted small">This is the beginning of the room.</p>}
          {olderError && (
            <p className="inline-error small" role="alert">
              Could not load older messages: {olderError}
            </p>
          )}
        </div>
        {!historyLoaded && <p className="muted center pad">Loading messages…</p>}
        <ol className="messages">
          {messages.map((m) => {
            const day = dayKey(m.time_created);
            const separator = day !== lastDay && day !== '';
            lastDay = day;
            return (
              <Fragment key={m.id}>
                {separator && (
                  <li className="day-separator" aria-hidden="true">
                    <span>{dayLabel(m.time_created, now)}</span>
                  </li>
                )}
                <MessageItem m={m} mine={m.user_id === myUserId} />
              </Fragment>
            );
          })}
        </ol>
      </div>
      {unseen > 0 && (
        <button type="button" className="btn new-messages" onClick={jumpToLatest}>
          {unseen === 1 ? '1 new message' : `${unseen} new messages`} <span aria-hidden="true">↓</span>
        </button>
      )}
    </div>
  );
}

function MessageItem({ m, mine }: { m: ChatMessage; mine: boolean }) {
  const time = (
    <time dateTime={m.time_created} title={formatFull(m.time_created)}>
      {formatTime(m.time_created)}
    </time>
  );
  if (m.type === 'join' || m.type === 'leave') {
    return (
      <li className={`notice notice-${m.type}`} data-type={m.type}>
        <span>
          <strong>{m.nickname}</strong> {m.type === 'join' ? 'joined the room' : 'left the room'}
        </span>{' '}
        · {time}
      </li>
    );
  }
  return (
    <li className={mine ? 'msg msg-own' : 'msg'} data-type="message" data-own={mine ? 'true' : 'false'}>
      {!mine && <Avatar nickname={m.nickname} />}
      <div className="bubble">
        <div className="msg-meta">
          <span className="sender">{mine ? `${m.nickname} (you)` : m.nickname}</span>
          {time}
        </div>
        <p className="msg-text">{m.content}</p>
      </div>
    </li>
  );
}
