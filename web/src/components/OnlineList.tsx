import type { OnlineUser } from '../lib/api';
import { Avatar } from './Avatar';

export function OnlineList({ users, me }: { users: OnlineUser[] | null; me: string }) {
  return (
    <section className="online" aria-labelledby="online-heading" data-testid="online-list">
      <h2 id="online-heading" className="online-heading">
        Online{users ? <span className="count">{users.length}</span> : null}
      </h2>
      {users === null ? (
        <p className="muted small">Loading…</p>
      ) : users.length === 0 ? (
        <p className="muted small">Nobody is here right now.</p>
      ) : (
        <ul className="online-users">
          {users.map((u) => (
            <li key={u.nickname} data-nickname={u.nickname}>
              <span className="presence">
                <Avatar nickname={u.nickname} size="sm" />
                <span className="presence-dot" aria-hidden="true" />
              </span>
              <span className="online-name">
                {u.nickname}
                {u.nickname === me && <span className="muted"> (you)</span>}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
