/** A tiny History-API router: the app has four pages, so no library. */
import { useSyncExternalStore } from 'react';

const listeners = new Set<() => void>();

function notify(): void {
  for (const l of [...listeners]) l();
}

window.addEventListener('popstate', notify);

function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

function snapshot(): string {
  return window.location.pathname + window.location.search;
}

/** The current path and query; re-renders on navigation. */
export function useLocationPath(): string {
  return useSyncExternalStore(subscribe, snapshot);
}

export interface NavigateOptions {
  replace?: boolean;
  /** A one-off message for the next page (e.g. why the user was sent to log in). */
  notice?: string;
}

export function navigate(to: string, opts: NavigateOptions = {}): void {
  const state = opts.notice ? { notice: opts.notice } : null;
  if (opts.replace) window.history.replaceState(state, '', to);
  else window.history.pushState(state, '', to);
  notify();
  window.scrollTo(0, 0);
}

/** The notice passed to this history entry, if any. */
export function currentNotice(): string | null {
  const s = window.history.state as { notice?: unknown } | null;
  return s && typeof s.notice === 'string' ? s.notice : null;
}

/** A same-origin path that is safe to go to after logging in. */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/rooms';
  return next;
}
