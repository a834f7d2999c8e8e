/**
 * One room's WebSocket, kept open: on any close it reconnects with exponential backoff and jitter. Every
 * (re)connection starts with the history frame; the owner merges it by message id, which fills in what
 * was missed while disconnected.
 */
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff';
import { SessionExpiredError } from './http';
import { normalizeMessage, normalizeMessages, type ChatMessage } from './messages';

export type ConnectionState =
  | { status: 'connecting'; attempt: number }
  | { status: 'open' }
  | { status: 'waiting'; attempt: number; retryAt: number; lastCloseCode: number | null }
  | { status: 'stopped'; reason: string | null };

/** The part of the browser's WebSocket this class uses (so tests can fake it). */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

const CONNECTING = 0;
const OPEN = 1;

export interface RoomConnectionOptions {
  roomId: string;
  getAccessToken(): Promise<string>;
  socketUrl(roomId: string, token: string): string;
  createSocket(url: string): SocketLike;
  onHistory(messages: ChatMessage[]): void;
  onMessage(message: ChatMessage): void;
  onServerError(message: string): void;
  onState(state: ConnectionState): void;
  /**
   * Asked after a connection attempt failed before opening (the browser hides the HTTP status of a refused
   * upgrade): 'gone' stops reconnecting (the room does not exist), anything else retries.
   */
  probe?(): Promise<'ok' | 'gone'>;
  backoff?: BackoffOptions;
  /** A connection that stayed open this long resets the backoff. */
  stableAfterMs?: number;
  random?: () => number;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export class RoomConnection {
  private ws: SocketLike | null = null;
  private attempt = 0;
  private timer: unknown = null;
  private stopped = true;
  private openedAt: number | null = null;
  private generation = 0;
  private state: ConnectionState = { status: 'stopped', reason: null };
  private readonly o: Required<
    Pick<RoomConnectionOptions, 'backoff' | 'stableAfterMs' | 'random' | 'now' | 'setTimer' | 'clearTimer'>
  > &
    RoomConnectionOptions;

  constructor(opts: RoomConnectionOptions) {
    this.o = {
      backoff: DEFAULT_BACKOFF,
      stableAfterMs: 5_000,
      random: Math.random,
      now: () => Date.now(),
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
      ...opts,
    };
  }

  get currentState(): ConnectionState {
    return this.state;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.attempt = 0;
    void this.connect();
  }

  stop(reason: string | null = null): void {
    this.stopped = true;
    this.generation++;
    this.cancelTimer();
    this.dropSocket();
    this.setState({ status: 'stopped', reason });
  }

  /** Skips the wait (e.g. the browser came back online, or the user pressed "Retry now"). */
  retryNow(): void {
    if (this.stopped || this.state.status !== 'waiting') return;
    this.cancelTimer();
    void this.connect();
  }

  /** Sends one message; false when not connected (the caller keeps the draft). */
  send(content: string): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== OPEN || this.state.status !== 'open') return false;
    try {
      ws.send(content);
      return true;
    } catch {
      return false;
    }
  }

  private setState(s: ConnectionState): void {
    this.state = s;
    this.o.onState(s);
  }

  private cancelTimer(): void {
    if (this.timer !== null) {
      this.o.clearTimer(this.timer);
      this.timer = null;
    }
  }

  private dropSocket(): void {
    const ws = this.ws;
    this.ws = null;
    if (!ws) return;
    ws.onmessage = null;
    ws.onclose = null;
    ws.onerror = null;
    if (ws.readyState === CONNECTING) {
      // Closing a socket that is still connecting makes the browser log an error; close it once open.
      ws.onopen = () => ws.close(1000);
    } else {
      ws.onopen = null;
      try {
        ws.close(1000);
      } catch {
        // already closed
      }
    }
  }

  private async connect(): Promise<void> {
    const gen = ++this.generation;
    this.dropSocket();
    this.setState({ status: 'connecting', attempt: this.attempt });
    let token: string;
    try {
      token = await this.o.getAccessToken();
    } catch (e) {
      if (gen !== this.generation) return;
      if (e instanceof SessionExpiredError) {
        this.stop(e.message);
        return;
      }
      this.scheduleReconnect(null);
      return;
    }
    if (gen !== this.generation || this.stopped) return;
    let ws: SocketLike;
    try {
      ws = this.o.createSocket(this.o.socketUrl(this.o.roomId, token));
    } catch {
      this.scheduleReconnect(null);
      return;
    }
    this.ws = ws;
    this.openedAt = null;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.openedAt = this.o.now();
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      this.handleFrame(ev.data);
    };
    ws.onerror = () => {
      // onclose follows and handles it.
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      const wasOpen = this.openedAt !== null;
      if (wasOpen && this.o.now() - this.openedAt! >= this.o.stableAfterMs) this.attempt = 0;
      this.openedAt = null;
      if (this.stopped) return;
      if (!wasOpen && this.o.probe) {
        // Refused upgrade: is the room gone (stop), or were we logged out (the probe's 401 refreshes)?
        const g = this.generation;
        this.setState({ status: 'waiting', attempt: this.attempt, retryAt: this.o.now(), lastCloseCode: ev.code });
        this.o.probe().then(
          (r) => {
            if (g !== this.generation || this.stopped) return;
            if (r === 'gone') this.stop('This room does not exist.');
            else this.scheduleReconnect(ev.code);
          },
          (e: unknown) => {
            if (g !== this.generation || this.stopped) return;
            if (e instanceof SessionExpiredError) this.stop(e.message);
            else this.scheduleReconnect(ev.code);
          },
        );
        return;
      }
      this.scheduleReconnect(ev.code);
    };
  }

  private handleFrame(data: unknown): void {
    if (typeof data !== 'string') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      return;
    }
    if (Array.isArray(parsed)) {
      // The history frame: the connection is usable from here on.
      this.setState({ status: 'open' });
      this.o.onHistory(normalizeMessages(parsed));
      return;
    }
    if (parsed && typeof parsed === 'object') {
      const o = parsed as Record<string, unknown>;
      if (o.type === 'error') {
        this.o.onServerError(typeof o.message === 'string' ? o.message : 'The message was rejected.');
        return;
      }
      const m = normalizeMessage(parsed);
      if (m) {
        if (this.state.status !== 'open') this.setState({ status: 'open' });
        this.o.onMessage(m);
      }
    }
  }

  private scheduleReconnect(code: number | null): void {
    if (this.stopped) return;
    const delay = backoffDelay(this.attempt, this.o.random, this.o.backoff);
    const attempt = this.attempt;
    this.attempt++;
    this.cancelTimer();
    this.setState({ status: 'waiting', attempt, retryAt: this.o.now() + delay, lastCloseCode: code });
    const gen = this.generation;
    this.timer = this.o.setTimer(() => {
      this.timer = null;
      if (gen !== this.generation || this.stopped) return;
      void this.connect();
    }, delay);
  }
}
