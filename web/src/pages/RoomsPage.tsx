/** All rooms: the list (join by opening one) and a form to create one. */
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { Link } from '../app/Link';
import { navigate } from '../app/router';
import { api } from '../app/services';
import { useDocumentTitle } from '../hooks/useDocumentTitle';
import type { Room } from '../lib/api';
import { formatDate } from '../lib/format';
import { describeError, SessionExpiredError } from '../lib/http';

const POLL_MS = 15_000;

export function RoomsPage() {
  useDocumentTitle('Rooms');
  const [rooms, setRooms] = useState<Room[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [refreshing, setRefreshing] = useState(false);
  const [name, setName] = useState('');
  const [createError, setCreateError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const alive = useRef(true);

  const load = useCallback(async () => {
    setRefreshing(true);
    try {
      const list = await api.listRooms();
      if (!alive.current) return;
      setRooms(list);
      setLoadError(null);
    } catch (e) {
      if (!alive.current || e instanceof SessionExpiredError) return;
      setLoadError(describeError(e));
    } finally {
      if (alive.current) setRefreshing(false);
    }
  }, []);

  useEffect(() => {
    alive.current = true;
    void load();
    const t = setInterval(() => {
      if (document.visibilityState === 'visible') void load();
    }, POLL_MS);
    return () => {
      alive.current = false;
      clearInterval(t);
    };
  }, [load]);

  const onCreate = async (e: FormEvent) => {
    e.preventDefault();
    const trimmed = name.trim();
    if (trimmed === '') {
      setCreateError('Enter a name for the room.');
      return;
    }
    if ([...trimmed].length > 50) {
      setCreateError('The name must be at most 50 characters long.');
      return;
    }
    setCreating(true);
    setCreateError(null);
    try {
      const room = await api.createRoom(trimmed);
      if (!alive.current) return;
      setName('');
      setRooms((rs) => (rs && !rs.some((r) => r.id === room.id) ? [...rs, room] : rs));
      navigate(`/rooms/${encodeURIComponent(room.id)}`);
    } catch (err) {
      if (alive.current) setCreateError(describeError(err));
    } finally {
      if (alive.current) setCreating(false);
    }
  };

  const sorted = rooms ? [...rooms].reverse() : null; // newest first

  return (
    <main className="page rooms-page" id="main">
      <div className="page-head">
        <h1>Rooms</h1>
        <button type="button" className="btn btn-ghost btn-small" onClick={() => void load()} disabled={refreshing}>
          {refreshing ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>

      <section className="card" aria-labelledby="create-heading">
        <h2 id="create-heading" className="card-title">
          Create a room
        </h2>
        <form className="create-room" onSubmit={onCreate} noValidate>
          <label htmlFor="room-name" className="sr-only">
            Room name
          </label>
          <input
            id="room-name"
            placeholder="Room name, e.g. general"
            value={name}
            maxLength={200}
            onChange={(e) => setName(e.target.value)}
            aria-invalid={createError ? true : undefined}
            aria-describedby={createError ? 'create-error' : undefined}
          />
          <button type="submit" className="btn btn-primary" disabled={creating}>
            {creating ? 'Creating…' : 'Create'}
          </button>
        </form>
        {createError && (
          <p id="create-error" className="inline-error" role="alert">
            {createError}
          </p>
        )}
      </section>

      <section className="card" aria-labelledby="list-heading">
        <h2 id="list-heading" className="card-title">
          Join a room {rooms && rooms.length > 0 && <span className="count">{rooms.length}</span>}
        </h2>
        {loadError && (
          <p className="inline-error" role="alert">
            Could not load the rooms: {loadError}
          </p>
        )}
        {sorted === null && !loadError && <p className="muted">Loading rooms…</p>}
        {sorted && sorted.length === 0 && <p className="muted">No rooms yet. Create the first one above.</p>}
        {sorted && sorted.length > 0 && (
          <ul className="room-list" data-testid="room-list">
            {sorted.map((r) => (
              <li key={r.id}>
                <Link href={`/rooms/${encodeURIComponent(r.id)}`} className="room-link" data-room-id={r.id}>
                  <span className="room-hash" aria-hidden="true">
                    #
                  </span>
                  <span className="room-name">{r.name}</span>
                  {r.time_created && <span className="room-date muted small">created {formatDate(r.time_created)}</span>}
                  <span className="room-join" aria-hidden="true">
                    Join →
                  </span>
                </Link>
              </li>
            ))}
          </ul>
        )}
      </section>
    </main>
  );
}
