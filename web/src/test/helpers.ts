/** Fakes shared by the unit tests. */
import type { KeyValueStore } from '../lib/session';

export function b64url(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** An unsigned JWT-shaped token with the given claims (the client never verifies signatures). */
export function makeJwt(claims: Record<string, unknown>): string {
  return `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}.sig`;
}

export class MemoryStorage implements KeyValueStore {
  readonly map = new Map<string, string>();
  getItem(k: string): string | null {
    return this.map.get(k) ?? null;
  }
  setItem(k: string, v: string): void {
    this.map.set(k, v);
  }
  removeItem(k: string): void {
    this.map.delete(k);
  }
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? '' : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

/** A tiny in-process lock manager with the Web Locks semantics the client uses (exclusive, FIFO). */
export class FakeLocks {
  private tail = new Map<string, Promise<unknown>>();
  request<T>(name: string, cb: () => Promise<T>): Promise<T> {
    const prev = this.tail.get(name) ?? Promise.resolve();
    const run = prev.then(cb, cb);
    this.tail.set(
      name,
      run.catch(() => undefined),
    );
    return run;
  }
}
