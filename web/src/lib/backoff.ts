/** Exponential backoff with jitter for reconnecting. */
export interface BackoffOptions {
  /** The first delay's upper bound. */
  baseMs: number;
  /** No delay is longer than this. */
  maxMs: number;
  factor: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 30_000, factor: 2 };

/** The range the delay of retry number `attempt` (0 for the first retry) is drawn from. */
export function backoffBounds(attempt: number, opts: BackoffOptions = DEFAULT_BACKOFF): { min: number; max: number } {
  const n = Math.max(0, Math.floor(attempt));
  // Math.min first so a huge attempt number cannot overflow to Infinity.
  const cap = Math.min(opts.maxMs, opts.baseMs * Math.pow(opts.factor, Math.min(n, 64)));
  return { min: cap / 2, max: cap };
}

/**
 * "Equal jitter": half the exponential cap plus a random share of the other half. Never zero (no hot loop),
 * never above maxMs, and clients that lost the server at the same moment spread out instead of coming
 * back in step.
 */
export function backoffDelay(
  attempt: number,
  random: () => number = Math.random,
  opts: BackoffOptions = DEFAULT_BACKOFF,
): number {
  const { min, max } = backoffBounds(attempt, opts);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(min + r * (max - min));
}
