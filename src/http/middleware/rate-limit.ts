import type Koa from 'koa';

/**
 * Fixed-window counters per key (a client address, a session cookie). In memory, per instance:
 * with N instances behind a balancer a client gets at most N times the limit, which is still a
 * bound. Time is monotonic process time, not the business clock: a limit is about how fast
 * requests arrive (the demo's fast-forwarded clock must not open or shut it).
 */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(private readonly o: { limit: number; windowMs: number; maxKeys?: number; now?: () => number }) {}

  /** Milliseconds until the key's window closes when it is full (count ≥ limit); 0 otherwise. */
  blockedFor(key: string): number {
    const w = this.current(key);
    return w && w.count >= this.o.limit ? Math.max(1, w.start + this.o.windowMs - this.now()) : 0;
  }

  /** Counts one hit; 0 when it is within the limit, else the milliseconds until the window closes. */
  take(key: string): number {
    let w = this.current(key);
    if (!w) {
      this.evictIfFull();
      w = { start: this.now(), count: 0 };
      this.windows.set(key, w);
    }
    w.count++;
    return w.count > this.o.limit ? Math.max(1, w.start + this.o.windowMs - this.now()) : 0;
  }

  get size(): number {
    return this.windows.size;
  }

  get limit(): number {
    return this.o.limit;
  }

  private current(key: string): { start: number; count: number } | undefined {
    const w = this.windows.get(key);
    if (w && w.start + this.o.windowMs <= this.now()) {
      this.windows.delete(key);
      return undefined;
    }
    return w;
  }

  /** Bounded memory under a flood of distinct keys: expired windows go first, then the oldest. */
  private evictIfFull(): void {
    const max = this.o.maxKeys ?? 50_000;
    if (this.windows.size < max) return;
    const now = this.now();
    for (const [k, w] of this.windows) if (w.start + this.o.windowMs <= now) this.windows.delete(k);
    for (const k of this.windows.keys()) {
      if (this.windows.size < max) break;
      this.windows.delete(k);
    }
  }

  private now(): number {
    return this.o.now ? this.o.now() : performance.now();
  }
}

/** Per-minute budgets; exported so tests read the figure instead of repeating it. */
export const RATE_LIMITS = {
  /** Refused callbacks (bad signature, stale, malformed) per source address. */
  callbackRefusals: 20,
  /** 401/403 answers (wrong token, forged or expired cookie) per address, on the APIs and pages. */
  authFailures: 30,
  /** Sidebar and digest requests per session (or per address without one). */
  sessionRequests: 600,
  /** Machine API requests per address (batches of up to 1000 records each). */
  machineRequests: 1200,
} as const;

export interface RateLimitRule {
  /** Which requests the rule guards. */
  applies(ctx: Koa.Context): boolean;
  /** Key of the counter; null: not counted. */
  key(ctx: Koa.Context): string | null;
  limiter: RateLimiter;
  /** Count every request (true) or only those answered with a refusal (status in `refusals`). */
  counts: 'all' | 'refusals';
  refusals?: (status: number) => boolean;
  name: string;
}

/**
 * 429 with Retry-After (whole seconds) once a rule's window is full; refusal-counting rules add
 * one after the request is answered, so a refused client is stopped before its next request is
 * even parsed.
 */
export function rateLimit(rules: RateLimitRule[]): Koa.Middleware {
  return async (ctx, next) => {
    const active: { r: RateLimitRule; key: string }[] = [];
    for (const r of rules) {
      const key = r.applies(ctx) ? r.key(ctx) : null;
      if (key !== null) active.push({ r, key });
    }
    for (const { r, key } of active) {
      const wait = r.counts === 'all' ? r.limiter.take(key) : r.limiter.blockedFor(key);
      if (wait > 0) return tooMany(ctx, r.name, wait);
    }
    await next();
    for (const { r, key } of active) {
      if (r.counts === 'refusals' && r.refusals!(ctx.status)) r.limiter.take(key);
    }
  };
}

function tooMany(ctx: Koa.Context, rule: string, waitMs: number): void {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  ctx.state.log?.warn({ rule, ip: ctx.ip, path: ctx.path }, 'rate limited');
  ctx.status = 429;
  ctx.set('Retry-After', String(seconds));
  ctx.body = { code: 'RATE_LIMITED', message: `too many requests; retry in ${seconds} s`, requestId: ctx.state.reqId };
}
