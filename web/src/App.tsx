import { useEffect } from 'react';
import { navigate, safeNext, useLocationPath } from './app/router';
import { auth } from './app/services';
import { AppHeader } from './components/AppHeader';
import { useSession } from './hooks/useSession';
import { AuthPage } from './pages/AuthPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { RoomPage } from './pages/RoomPage';
import { RoomsPage } from './pages/RoomsPage';

function Redirect({ to, notice }: { to: string; notice?: string }) {
  useEffect(() => navigate(to, { replace: true, notice }), [to, notice]);
  return null;
}

function loginPath(): string {
  const here = window.location.pathname + window.location.search;
  const isAuthPage = /^\/(login|register)?$/.test(window.location.pathname);
  return isAuthPage ? '/login' : `/login?next=${encodeURIComponent(here)}`;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function App() {
  const path = useLocationPath();
  const session = useSession();

  useEffect(
    () =>
      auth.subscribe((c) => {
        if (c.kind === 'expired') navigate(loginPath(), { replace: true, notice: c.message });
        else if (c.kind === 'logout') navigate('/login', { replace: true, notice: 'You have logged out.' });
      }),
    [],
  );

  const url = new URL(path, window.location.origin);
  const pathname = url.pathname.replace(/\/+$/, '') || '/';
  const next = url.searchParams.get('next');

  if (pathname === '/login' || pathname === '/register') {
    if (session) return <Redirect to={safeNext(next)} />;
    return <AuthPage key={pathname} mode={pathname === '/login' ? 'login' : 'register'} next={next} />;
  }
  if (!session) return <Redirect to={pathname === '/' ? '/login' : `/login?next=${encodeURIComponent(path)}`} />;

  let page;
  const roomMatch = /^\/rooms\/([^/]+)$/.exec(pathname);
  if (pathname === '/') return <Redirect to="/rooms" />;
  else if (pathname === '/rooms') page = <RoomsPage />;
  else if (roomMatch) page = <RoomPage key={roomMatch[1]} roomId={safeDecode(roomMatch[1]!)} session={session} />;
  else page = <NotFoundPage />;

  return (
    <div className={roomMatch ? 'shell shell-room' : 'shell'}>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <AppHeader session={session} />
      {page}
    </div>
  );
}
