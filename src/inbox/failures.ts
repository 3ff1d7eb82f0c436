import { isLockConflict } from '../db/sql';
import { WecomError, WecomRateLimitError, WecomUnavailableError } from '../wecom/errors';

/**
 * What a handler failure means for its event: a pure rule over the error, the event's failure
 * history and "now".
 *
 * Transient failures (rate limits, WeCom outages and -1 "system busy", timeouts, the database
 * unreachable or a lock conflict) say nothing about the event itself: they back off, honouring
 * the error's retryAfterMs, and do not use up the dead-letter budget. Any other failure counts;
 * the event is parked dead after `maxAttempts` of those, or once it has been failing (in any way)
 * for `failureBudgetMs` since its first failure, whichever comes first.
 */
export interface FailurePolicy {
  maxAttempts: number;
  failureBudgetMs: number;
  baseBackoffMs: number;
  maxBackoffMs: number;
}

export interface FailureHistory {
  /** Claims since the event was last queued fresh (drives the backoff). */
  attempts: number;
  /** Non-transient failures so far. */
  failures: number;
  firstFailedAt: number | null;
}

export interface FailureDecision {
  transient: boolean;
  /** null: park as dead. */
  retryAt: number | null;
  failures: number;
  firstFailedAt: number;
  /** Why it was parked (null when it will be retried). */
  deadReason: string | null;
}

export function decideFailure(h: FailureHistory, err: unknown, now: number, p: FailurePolicy, random: () => number = Math.random): FailureDecision {
  const transient = transientFailure(err);
  const failures = h.failures + (transient ? 0 : 1);
  const firstFailedAt = h.firstFailedAt ?? now;
  let deadReason: string | null = null;
  if (!transient && failures >= p.maxAttempts) deadReason = `failed ${failures} time(s)`;
  else if (now - firstFailedAt >= p.failureBudgetMs) deadReason = `kept failing for ${formatDuration(now - firstFailedAt)} (budget ${formatDuration(p.failureBudgetMs)})`;
  if (deadReason) return { transient: !!transient, retryAt: null, failures, firstFailedAt, deadReason };
  const jitter = 0.8 + random() * 0.4;
  const backoff = Math.min(p.baseBackoffMs * 2 ** (Math.max(1, h.attempts) - 1), p.maxBackoffMs);
  // WeCom said when to come back: never earlier (jitter only spreads a herd later).
  const delay = transient?.retryAfterMs != null ? Math.round(transient.retryAfterMs * Math.max(1, jitter)) : Math.round(backoff * jitter);
  return { transient: !!transient, retryAt: now + delay, failures, firstFailedAt, deadReason: null };
}

/** Null when the failure is about the event; otherwise how long the error asks us to wait. */
export function transientFailure(err: unknown): { retryAfterMs: number | null } | null {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const retryAfterMs = (e as { retryAfterMs?: unknown }).retryAfterMs;
    if (typeof retryAfterMs === 'number' && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) return { retryAfterMs };
    if (e instanceof WecomRateLimitError || e instanceof WecomUnavailableError) return { retryAfterMs: null };
    // -1: "system busy" (API.md 4.2); 45009/45033: frequency limits without a parsed retry time.
    if (e instanceof WecomError && (e.errcode === -1 || e.errcode === 45009 || e.errcode === 45033)) return { retryAfterMs: null };
    if (isLockConflict(e) || isConnectionError(e)) return { retryAfterMs: null };
  }
  return null;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED',
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_CON_COUNT_ERROR', 'ER_SERVER_SHUTDOWN', 'ER_QUERY_INTERRUPTED',
  'SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_IOERR',
]);

function isConnectionError(e: unknown): boolean {
  const x = e as { code?: unknown; name?: unknown; driverError?: { code?: unknown } };
  const code = String(x.driverError?.code ?? x.code ?? '');
  if (CONNECTION_CODES.has(code) || code.startsWith('SQLITE_BUSY')) return true;
  return x.name === 'TimeoutError' || x.name === 'AbortError';
}

function formatDuration(ms: number): string {
  if (ms >= 3_600_000) return `${Math.round(ms / 360_000) / 10} h`;
  if (ms >= 60_000) return `${Math.round(ms / 6_000) / 10} min`;
  return `${Math.round(ms / 1000)} s`;
}
