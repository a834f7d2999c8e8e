/** The message input: Enter sends, Shift+Enter starts a new line. */
import { useEffect, useLayoutEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { sentence } from '../lib/http';
import { utf8Length } from '../lib/messages';
import type { SendFailure } from '../hooks/useRoom';

export const MAX_MESSAGE_BYTES = 4096;
const SHOW_COUNT_FROM = 3584;

interface Props {
  connected: boolean;
  failure: SendFailure | null;
  onSend(content: string): boolean;
  onDismissFailure(): void;
}

export function Composer({ connected, failure, onSend, onDismissFailure }: Props) {
  const [text, setText] = useState('');
  const [localError, setLocalError] = useState<string | null>(null);
  const ref = useRef<HTMLTextAreaElement>(null);

  // Grow with the text, up to a limit (then it scrolls).
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight + 2, 200)}px`;
  }, [text]);

  // Ready to type on arrival, except on touch screens where focusing would pop up the keyboard.
  useEffect(() => {
    if (window.matchMedia?.('(pointer: fine)').matches) ref.current?.focus();
  }, []);

  // A rejected message comes back into an empty input, so it can be shortened and sent again.
  useEffect(() => {
    if (failure?.draft) setText((t) => (t === '' ? failure.draft! : t));
  }, [failure]);

  useEffect(() => {
    if (connected) setLocalError(null);
  }, [connected]);

  const submit = () => {
    if (text.trim() === '') return;
    if (!connected) {
      setLocalError('Not connected: your message was not sent. It is kept here until the connection is back.');
      return;
    }
    if (onSend(text)) {
      setText('');
      setLocalError(null);
    } else {
      setLocalError('Not connected: your message was not sent.');
    }
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    submit();
    ref.current?.focus();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.altKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    }
    if (e.key === 'Escape' && failure) onDismissFailure();
  };

  const bytes = text.length * 3 >= SHOW_COUNT_FROM ? utf8Length(text) : 0;
  const tooLong = bytes > MAX_MESSAGE_BYTES;
  const error = failure ? `Message not sent: ${failure.message}` : localError;

  return (
    <form className="composer" onSubmit={onSubmit} aria-label="Send a message">
      {error && (
        <div className="composer-error" role="alert" id="composer-error" data-testid="send-error">
          <span>{sentence(error)}</span>
          <button
            type="button"
            className="icon-btn"
            aria-label="Dismiss"
            onClick={() => (failure ? onDismissFailure() : setLocalError(null))}
          >
            ×
          </button>
        </div>
      )}
      <div className="composer-row">
        <label htmlFor="composer-input" className="sr-only">
          Message
        </label>
        <textarea
          id="composer-input"
          ref={ref}
          rows={1}
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKeyDown}
          placeholder={connected ? 'Write a message…' : 'Waiting for the connection…'}
          aria-describedby={error ? 'composer-hint composer-error' : 'composer-hint'}
          autoComplete="off"
          spellCheck
        />
        <button type="submit" className="btn btn-primary send-btn" disabled={!connected || text.trim() === ''}>
          Send
        </button>
      </div>
      <div className="composer-foot">
        <span id="composer-hint" className="muted small">
          <kbd>Enter</kbd> to send · <kbd>Shift</kbd>+<kbd>Enter</kbd> for a new line
        </span>
        {bytes >= SHOW_COUNT_FROM && (
          <span className={tooLong ? 'byte-count over' : 'byte-count'} aria-live="polite">
            {bytes.toLocaleString()} / {MAX_MESSAGE_BYTES.toLocaleString()} bytes
          </span>
        )}
      </div>
    </form>
  );
}
