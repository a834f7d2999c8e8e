import { useEffect, useState } from 'react';
import type { ConnectionState } from '../lib/roomSocket';

/** Connected / connecting / reconnecting in N s (with "Retry now"). */
export function ConnectionBadge({ state, onRetry }: { state: ConnectionState; onRetry(): void }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (state.status !== 'waiting') return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, [state]);

  let label: string;
  let tone: 'ok' | 'busy' | 'bad';
  switch (state.status) {
    case 'open':
      label = 'Connected';
      tone = 'ok';
      break;
    case 'connecting':
      label = state.attempt === 0 ? 'Connecting…' : 'Reconnecting…';
      tone = 'busy';
      break;
    case 'waiting': {
      const s = Math.max(0, Math.ceil((state.retryAt - now) / 1000));
      label = s > 0 ? `Offline · retrying in ${s}s` : 'Offline · retrying…';
      tone = 'bad';
      break;
    }
    default:
      label = state.reason ?? 'Disconnected';
      tone = 'bad';
  }
  return (
    <div className="connection" data-testid="connection" data-status={state.status}>
      <span className={`dot dot-${tone}`} aria-hidden="true" />
      <span className="conn-label" role="status" aria-live="polite">
        {label}
      </span>
      {state.status === 'waiting' && (
        <button type="button" className="btn btn-ghost btn-small" onClick={onRetry}>
          Retry now
        </button>
      )}
    </div>
  );
}
