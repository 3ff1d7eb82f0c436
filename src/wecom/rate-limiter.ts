import { WecomRateLimitError } from './errors';

/** At most `limit` calls in any window of `windowMs`. */
export interface RateRule {
  limit: number;
  windowMs: number;
}

/** One bucket to draw from: a key (endpoint, endpoint + recipient, robot key hash) and its rules. */
export interface Draw {
  key: string;
  rules: RateRule[];
}

const MINUTE = 60_000;
const HOUR = 3_600_000;

/**
 * WeCom's documented frequency limits (API.md 4.3, 4.14, 4.15, 4.16). Several are [M] in the
 * source notes; the client stays under them so that 45009 is the exception, not the pacing.
 */
export const DEFAULT_RATE_RULES: Record<string, RateRule[]> = {
  // Per corp per API: ≈10,000/min and 150,000/hour (4.3).
  default: [{ limit: 10_000, windowMs: MINUTE }, { limit: 150_000, windowMs: HOUR }],
  // "gettoken has its own tighter limit"; it is cached and single-flighted, so this is a safety net.
  gettoken: [{ limit: 100, windowMs: MINUTE }],
  // ≤100/hour per app (4.16); cached for 2 h, so normally a handful per day.
  get_jsapi_ticket: [{ limit: 100, windowMs: HOUR }],
  'ticket/get': [{ limit: 100, windowMs: HOUR }],
  // Per app per member: ≤30/min and ≤1000/hour (4.14), drawn once per recipient.
  'message/send:member': [{ limit: 30, windowMs: MINUTE }, { limit: 1000, windowMs: HOUR }],
  // 20 messages/minute per robot (4.15).
  'webhook/send:robot': [{ limit: 20, windowMs: MINUTE }],
};

interface Bucket {
  tokens: number;
  capacity: number;
  perMs: number;
  at: number;
}

/**
 * Token buckets per key, sized so that no window of the rule's length ever sees more than
 * `limit` calls: burst capacity is a tenth of the limit and the refill rate the rest spread
 * over the window. Draws reserve tokens (a bucket may go negative) and wait their turn; a wait
 * longer than `maxWaitMs` is refused with a WecomRateLimitError so that callers reschedule
 * instead of holding a worker. The limiter is per process; instances side by side each get
 * their own share, and WeCom's 45009 remains the backstop.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly pausedUntil = new Map<string, number>();

  constructor(
    private readonly opts: {
      maxWaitMs: number;
      now?: () => number;
      sleep?: (ms: number) => Promise<void>;
    },
  ) {}

  async acquire(endpoint: string, draws: Draw[]): Promise<void> {
    const now = this.now();
    const pause = (this.pausedUntil.get(endpoint) ?? 0) - now;
    if (pause > this.opts.maxWaitMs) throw new WecomRateLimitError(endpoint, null, pause);
    let wait = Math.max(0, pause);
    const buckets = draws.flatMap((d) => d.rules.map((r, i) => this.bucket(`${d.key}#${i}`, r, now)));
    for (const b of buckets) if (b.tokens < 1) wait = Math.max(wait, (1 - b.tokens) / b.perMs);
    if (wait > this.opts.maxWaitMs) throw new WecomRateLimitError(endpoint, null, Math.ceil(wait));
    for (const b of buckets) b.tokens -= 1;
    if (wait > 0) await (this.opts.sleep ?? sleep)(Math.ceil(wait));
  }

  /** After WeCom's own 45009/45033: nothing goes to this endpoint until the pause is over. */
  pause(endpoint: string, ms: number): void {
    this.pausedUntil.set(endpoint, Math.max(this.pausedUntil.get(endpoint) ?? 0, this.now() + ms));
  }

  private bucket(key: string, rule: RateRule, now: number): Bucket {
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size > 10_000) this.pruneFull(now);
      const capacity = Math.max(1, Math.floor(rule.limit / 10));
      b = { tokens: capacity, capacity, perMs: Math.max(1, rule.limit - capacity) / rule.windowMs, at: now };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(b.capacity, b.tokens + (now - b.at) * b.perMs);
    b.at = now;
    return b;
  }

  private pruneFull(now: number): void {
    for (const [k, b] of this.buckets) if (b.tokens + (now - b.at) * b.perMs >= b.capacity) this.buckets.delete(k);
  }

  // Monotonic elapsed time, not the service clock, on purpose: this paces real requests over real
  // time, and decides nothing about customers. A fixed or offset corp clock (tests, the demo's --at)
  // would never refill a bucket, or refill it early.
  private now(): number {
    return this.opts.now ? this.opts.now() : performance.now();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
