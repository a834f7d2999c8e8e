/** One room: the conversation, the online list, the composer. */
import { useEffect, useState } from 'react';
import { Link } from '../app/Link';
import { api } from '../app/services';
import { Composer } from '../components/Composer';
import { ConnectionBadge } from '../components/ConnectionBadge';
import { MessageList } from '../components/MessageList';
import { OnlineList } from '../components/OnlineList';
import { useDocumentTitle } from '../hooks/useDocumentTitle';
import { useRoom } from '../hooks/useRoom';
import type { Session } from '../lib/session';

export function RoomPage({ roomId, session }: { roomId: string; session: Session }) {
  const [name, setName] = useState<string | null>(null);
  const [showOnline, setShowOnline] = useState(false);
  const room = useRoom(roomId, session.user_id);
  useDocumentTitle(name ? `#${name}` : 'Room');

  useEffect(() => {
    let alive = true;
    setName(null);
    api.listRooms().then(
      (rooms) => {
        if (alive) setName(rooms.find((r) => r.id === roomId)?.name ?? `Room ${roomId}`);
      },
      () => alive && setName(`Room ${roomId}`),
    );
    return () => {
      alive = false;
    };
  }, [roomId]);

  const stopped = room.connection.status === 'stopped';
  const onlineCount = room.online?.length;

  return (
    <main className="room-page" id="main">
      <div className="room-head">
        <Link href="/rooms" className="back-link" aria-label="Back to all rooms">
          <span aria-hidden="true">←</span>
          <span className="back-text">Rooms</span>
        </Link>
        <h1 className="room-title">
          <span className="room-hash" aria-hidden="true">
            #
          </span>
          {name ?? '…'}
        </h1>
        <ConnectionBadge state={room.connection} onRetry={room.retryNow} />
        <button
          type="button"
          className="btn btn-ghost btn-small online-toggle"
          aria-expanded={showOnline}
          aria-controls="online-panel"
          onClick={() => setShowOnline((v) => !v)}
        >
          Online{onlineCount !== undefined ? ` (${onlineCount})` : ''}
        </button>
      </div>
      <div className="room-body">
        <div className="conversation">
          <MessageList
            messages={room.messages}
            myUserId={session.user_id}
            historyLoaded={room.historyLoaded}
            hasOlder={room.hasOlder}
            loadingOlder={room.loadingOlder}
            olderError={room.olderError}
            onLoadOlder={room.loadOlder}
          />
          {stopped ? (
            <div className="composer stopped" role="alert">
              <p>{room.connection.status === 'stopped' && room.connection.reason}</p>
              <Link href="/rooms" className="btn btn-primary">
                Back to rooms
              </Link>
            </div>
          ) : (
            <Composer
              connected={room.connection.status === 'open'}
              failure={room.sendFailure}
              onSend={room.send}
              onDismissFailure={room.dismissSendFailure}
            />
          )}
        </div>
        <aside
          id="online-panel"
          className={showOnline ? 'online-panel open' : 'online-panel'}
          onKeyDown={(e) => e.key === 'Escape' && setShowOnline(false)}
        >
          <OnlineList users={room.online} me={session.nickname} />
        </aside>
      </div>
    </main>
  );
}
