import { useState } from 'react';
import { Link } from '../app/Link';
import { auth } from '../app/services';
import type { Session } from '../lib/session';
import { Avatar } from './Avatar';

export function Brand() {
  return (
    <span className="brand-mark">
      <svg viewBox="0 0 64 64" width="28" height="28" aria-hidden="true">
        <rect width="64" height="64" rx="14" fill="currentColor" />
        <path d="M16 20a6 6 0 0 1 6-6h20a6 6 0 0 1 6 6v14a6 6 0 0 1-6 6H30l-9 8v-8h-1a4 4 0 0 1-4-4z" fill="#fff" />
      </svg>
      <span>Rooms</span>
    </span>
  );
}

export function AppHeader({ session }: { session: Session }) {
  const [busy, setBusy] = useState(false);
  return (
    <header className="app-header">
      <Link href="/rooms" className="brand" aria-label="Rooms: all rooms">
        <Brand />
      </Link>
      <div className="header-user">
        <span className="whoami" title={`Logged in as ${session.nickname}`}>
          <Avatar nickname={session.nickname} size="sm" />
          <span className="whoami-name">{session.nickname}</span>
        </span>
        <button
          type="button"
          className="btn btn-ghost btn-small"
          disabled={busy}
          onClick={() => {
            setBusy(true);
            void auth.logout();
          }}
        >
          Log out
        </button>
      </div>
    </header>
  );
}
