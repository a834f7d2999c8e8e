/** Log in and register: one card, two modes. */
import { useState, type FormEvent } from 'react';
import { Link } from '../app/Link';
import { currentNotice, navigate, safeNext } from '../app/router';
import { auth } from '../app/services';
import { Brand } from '../components/AppHeader';
import { useDocumentTitle } from '../hooks/useDocumentTitle';
import { describeError } from '../lib/http';

const codePoints = (s: string) => [...s].length;

export function validateNickname(n: string): string | null {
  const len = codePoints(n);
  if (n.trim() === '') return 'Enter a nickname.';
  if (len < 3 || len > 50) return 'The nickname must be 3 to 50 characters long.';
  if (/[\u0000-\u001f\u007f]/.test(n)) return 'The nickname must not contain control characters.';
  return null;
}

export function validatePassword(p: string): string | null {
  const len = codePoints(p);
  if (len < 8 || len > 128) return 'The password must be 8 to 128 characters long.';
  return null;
}

export function AuthPage({ mode, next }: { mode: 'login' | 'register'; next: string | null }) {
  const isLogin = mode === 'login';
  useDocumentTitle(isLogin ? 'Log in' : 'Create an account');
  const [nickname, setNickname] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [notice] = useState(() => currentNotice());

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    if (!isLogin) {
      const problem = validateNickname(nickname) ?? validatePassword(password);
      if (problem) {
        setError(problem);
        return;
      }
    } else if (nickname.trim() === '' || password === '') {
      setError('Enter your nickname and password.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      if (!isLogin) {
        // The server's message says why a nickname is refused (taken, looks like a taken one, hidden characters).
        await auth.register(nickname, password);
      }
      await auth.login(nickname, password);
      navigate(safeNext(next), { replace: true });
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  };

  const otherHref = (isLogin ? '/register' : '/login') + (next ? `?next=${encodeURIComponent(next)}` : '');

  return (
    <main className="auth-page">
      <div className="auth-card">
        <div className="auth-brand">
          <Brand />
        </div>
        <h1>{isLogin ? 'Welcome back' : 'Create an account'}</h1>
        <p className="muted auth-sub">
          {isLogin ? 'Log in to chat in your rooms.' : 'Pick a nickname and a password to start chatting.'}
        </p>
        {notice && !error && (
          <p className="notice-box" role="status" data-testid="auth-notice">
            {notice}
          </p>
        )}
        {error && (
          <p className="error-box" role="alert" data-testid="auth-error">
            {error}
          </p>
        )}
        <form onSubmit={onSubmit} noValidate className="stack">
          <div className="field">
            <label htmlFor="nickname">Nickname</label>
            <input
              id="nickname"
              name="nickname"
              autoComplete="username"
              autoCapitalize="none"
              spellCheck={false}
              autoFocus
              required
              maxLength={200}
              value={nickname}
              onChange={(e) => setNickname(e.target.value)}
              aria-describedby={isLogin ? undefined : 'nickname-hint'}
            />
            {!isLogin && (
              <span id="nickname-hint" className="hint">
                3 to 50 characters.
              </span>
            )}
          </div>
          <div className="field">
            <label htmlFor="password">Password</label>
            <input
              id="password"
              name="password"
              type="password"
              autoComplete={isLogin ? 'current-password' : 'new-password'}
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              aria-describedby={isLogin ? undefined : 'password-hint'}
            />
            {!isLogin && (
              <span id="password-hint" className="hint">
                8 to 128 characters.
              </span>
            )}
          </div>
          <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
            {busy ? (isLogin ? 'Logging in…' : 'Creating account…') : isLogin ? 'Log in' : 'Create account'}
          </button>
        </form>
        <p className="auth-switch">
          {isLogin ? 'New here? ' : 'Already have an account? '}
          <Link href={otherHref}>{isLogin ? 'Create an account' : 'Log in'}</Link>
        </p>
      </div>
    </main>
  );
}
