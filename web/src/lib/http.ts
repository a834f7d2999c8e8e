/** Plain JSON-over-HTTP calls and the errors they end in. */

export type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;

/** The API answered with an error status (`status` > 0), or could not be reached (`status` 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly retryAfterS: number | null;
  constructor(status: number, message: string, retryAfterS: number | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.retryAfterS = retryAfterS;
  }
  /** The server could not be reached or failed; trying again later may work. */
  get transient(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

/** The session is over (refresh refused, or logged out in another tab): the user must log in again. */
export class SessionExpiredError extends Error {
  constructor(message = 'Your session has expired. Please log in again.') {
    super(message);
    this.name = 'SessionExpiredError';
  }
}

function defaultMessage(status: number): string {
  if (status === 400) return 'The request was not valid.';
  if (status === 401) return 'You are not logged in.';
  if (status === 403) return 'Not allowed.';
  if (status === 404) return 'Not found.';
  if (status === 409) return 'Conflict.';
  if (status === 413) return 'The request is too large.';
  if (status === 429) return 'Too many requests.';
  if (status >= 500) return 'The server had a problem. Please try again.';
  return `Request failed (HTTP ${status}).`;
}

/** Builds the ApiError for an error response: the server's `{"message"}` when there is one. */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  let message: string | null = null;
  try {
    const text = await res.text();
    if (text) {
      const body: unknown = JSON.parse(text);
      if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') {
        message = (body as { message: string }).message.trim() || null;
      }
    }
  } catch {
    // Not JSON (a proxy's HTML error page, say): fall back to the status.
  }
  let retryAfter: number | null = null;
  if (res.status === 429) {
    const ra = Number(res.headers.get('Retry-After'));
    retryAfter = Number.isFinite(ra) && ra > 0 ? ra : null;
  }
  // A 5xx from a proxy is not worth showing verbatim.
  if (res.status >= 500 && res.status !== 503) message = null;
  return new ApiError(res.status, message ?? defaultMessage(res.status), retryAfter);
}

/** Sends a JSON request; resolves to the parsed body (null for an empty one) or rejects with ApiError. */
export async function requestJson<T>(
  fetchFn: FetchFn,
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  const init: RequestInit = { method, headers: { Accept: 'application/json', ...headers }, cache: 'no-store' };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['Content-Type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetchFn(url, init);
  } catch {
    throw new ApiError(0, 'Cannot reach the server. Check your connection and try again.');
  }
  if (!res.ok) throw await errorFromResponse(res);
  const text = await res.text();
  if (!text) return null as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(res.status, 'The server sent an answer that could not be read.');
  }
}

/** A sentence for the user: the server's message with a capital first letter. */
export function describeError(e: unknown): string {
  if (e instanceof ApiError || e instanceof SessionExpiredError) return sentence(e.message);
  if (e instanceof Error && e.message) return sentence(e.message);
  return 'Something went wrong.';
}

export function sentence(s: string): string {
  const t = s.trim();
  if (!t) return t;
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}
