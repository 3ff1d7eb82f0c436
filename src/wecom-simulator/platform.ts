import { randomBytes } from 'node:crypto';

export const FAULT_KINDS = ['latency', 'errcode', 'http', 'drop', 'body'] as const;

/** A fault the admin API injects: the next `count` calls to `endpoint` ('*' = any) misbehave. */
export interface Fault {
  endpoint: string;
  kind: (typeof FAULT_KINDS)[number];
  count: number;
  /** errcode faults: the errcode to answer (-1, 45009, 60020, …). */
  errcode?: number;
  /** http faults: the status (default 502). */
  status?: number;
  /** latency faults: delay before answering normally (ends early on releaseHeld). */
  latencyMs?: number;
  /** body faults: answer this JSON instead (a response of the wrong shape). */
  body?: unknown;
  /**
   * Misbehave only after the endpoint has done its work: the message is delivered, then the
   * answer is late (latency, which also ends when the caller hangs up), lost (drop), a gateway
   * error (http) or a wrong errcode such as -1. This is the WeCom that answers after the
   * client's timeout. Without it the fault comes first and nothing is carried out.
   */
  afterAction?: boolean;
}

export interface WindowRule {
  limit: number;
  windowMs: number;
}

export interface CallRecord {
  endpoint: string;
  at: number;
  errcode: number | null;
  status: number;
}

const HOUR = 3_600_000;
const MINUTE = 60_000;

/**
 * WeCom's limits as the simulator enforces them (API.md 4.3, 4.14–4.16). Fixed windows; tests
 * lower them through the admin API to provoke 45009 quickly.
 */
export const SIMULATED_LIMITS: Record<string, WindowRule> = {
  default: { limit: 10_000, windowMs: MINUTE },
  get_jsapi_ticket: { limit: 100, windowMs: HOUR },
  'ticket/get': { limit: 100, windowMs: HOUR },
  'message/send:member': { limit: 30, windowMs: MINUTE },
  'webhook/send:robot': { limit: 20, windowMs: MINUTE },
};

export const TOKEN_TTL_SECONDS = 7200;
export const WELCOME_WINDOW_MS = 20_000;
export const OAUTH_CODE_TTL_MS = 5 * 60_000;

interface Expiring {
  value: string;
  expiresAt: number;
}

/**
 * The platform side of the simulated WeCom: credentials, one-time codes, frequency windows,
 * injected faults and the call log.
 */
export class Platform {
  private readonly tokens = new Map<string, number>();
  private current: Expiring | null = null;
  private readonly tickets = new Map<string, Expiring>();
  readonly welcomeCodes = new Map<string, { issuedAt: number; used: boolean; userId: string; externalUserId: string }>();
  readonly oauthCodes = new Map<string, { issuedAt: number; used: boolean; userId?: string; openId?: string; externalUserId?: string }>();
  readonly kfTokens = new Map<string, number>();
  faults: Fault[] = [];
  readonly limits = new Map<string, WindowRule>(Object.entries(SIMULATED_LIMITS));
  private readonly windows = new Map<string, { start: number; count: number }>();
  readonly calls: CallRecord[] = [];
  private readonly callCounts = new Map<string, number>();
  /** Answers latency faults hold back right now, and how many each endpoint has held so far. */
  private readonly held = new Set<() => void>();
  private readonly holds = new Map<string, number>();
  private readonly holdWaiters: { endpoint: string; count: number; resolve(): void }[] = [];

  constructor(private readonly now: () => number) {}

  // ---- access tokens and tickets -----------------------------------------------------------

  /** Within validity, gettoken returns the same token (API.md 4.1). */
  issueToken(): { token: string; expiresIn: number } {
    const now = this.now();
    if (!this.current || this.current.expiresAt <= now) {
      this.current = { value: 'simtok_' + randomBytes(48).toString('base64url'), expiresAt: now + TOKEN_TTL_SECONDS * 1000 };
      this.tokens.set(this.current.value, this.current.expiresAt);
    }
    return { token: this.current.value, expiresIn: Math.ceil((this.current.expiresAt - now) / 1000) };
  }

  /** 0 when valid; 41001 missing, 40014 unknown, 42001 expired. */
  checkToken(token: string | undefined): number {
    if (!token) return 41001;
    const exp = this.tokens.get(token);
    if (exp === undefined) return 40014;
    return exp <= this.now() ? 42001 : 0;
  }

  /** Every token issued so far expires now; the next call with one gets 42001. */
  expireTokens(): number {
    const now = this.now();
    for (const t of this.tokens.keys()) this.tokens.set(t, now);
    if (this.current) this.current.expiresAt = now;
    return this.tokens.size;
  }

  /** Forgets every token, as if WeCom invalidated them early: the next call gets 40014. */
  revokeTokens(): void {
    this.tokens.clear();
    this.current = null;
  }

  issueTicket(kind: 'jsapi' | 'agent_config'): { ticket: string; expiresIn: number } {
    const now = this.now();
    let t = this.tickets.get(kind);
    if (!t || t.expiresAt <= now) {
      t = { value: (kind === 'jsapi' ? 'sim_jsapi_' : 'sim_agent_') + randomBytes(24).toString('base64url'), expiresAt: now + TOKEN_TTL_SECONDS * 1000 };
      this.tickets.set(kind, t);
    }
    return { ticket: t.value, expiresIn: Math.ceil((t.expiresAt - now) / 1000) };
  }

  currentTicket(kind: 'jsapi' | 'agent_config'): string | null {
    const t = this.tickets.get(kind);
    return t && t.expiresAt > this.now() ? t.value : null;
  }

  expireTickets(): void {
    for (const t of this.tickets.values()) t.expiresAt = this.now();
  }

  // ---- frequency windows ---------------------------------------------------------------------

  rule(key: string): WindowRule {
    return this.limits.get(key) ?? this.limits.get('default')!;
  }

  /** Counts one call against `key`; false (and not counted) when the window is full. */
  admit(key: string, rule: WindowRule): boolean {
    const now = this.now();
    let w = this.windows.get(key);
    if (!w || now - w.start >= rule.windowMs) {
      w = { start: now, count: 0 };
      this.windows.set(key, w);
    }
    if (w.count >= rule.limit) return false;
    w.count++;
    return true;
  }

  setLimit(key: string, rule: WindowRule | null): void {
    if (rule) this.limits.set(key, rule);
    else if (SIMULATED_LIMITS[key]) this.limits.set(key, SIMULATED_LIMITS[key]);
    else this.limits.delete(key);
    for (const k of this.windows.keys()) if (k === key || k.startsWith(key + ':')) this.windows.delete(k);
  }

  // ---- faults and the call log ---------------------------------------------------------------

  takeFault(endpoint: string): Fault | null {
    const f = this.faults.find((x) => x.count > 0 && (x.endpoint === endpoint || x.endpoint === '*'));
    if (!f) return null;
    f.count--;
    this.faults = this.faults.filter((x) => x.count > 0);
    return { ...f };
  }

  /**
   * Holds an answer back for `ms`, until releaseHeld(), or until `hungUp` settles (the caller
   * gave up: there is no one left to answer).
   */
  async hold(endpoint: string, ms: number, hungUp?: Promise<void>): Promise<void> {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    this.held.add(release);
    const n = (this.holds.get(endpoint) ?? 0) + 1;
    this.holds.set(endpoint, n);
    for (const w of this.holdWaiters.filter((x) => x.endpoint === endpoint && x.count <= n)) {
      this.holdWaiters.splice(this.holdWaiters.indexOf(w), 1);
      w.resolve();
    }
    const timer = setTimeout(release, ms);
    try {
      await Promise.race(hungUp ? [released, hungUp] : [released]);
    } finally {
      clearTimeout(timer);
      this.held.delete(release);
    }
  }

  /** Lets every held answer go now; returns how many there were. */
  releaseHeld(): number {
    const n = this.held.size;
    for (const release of [...this.held]) release();
    return n;
  }

  heldCount(): number {
    return this.held.size;
  }

  /**
   * Resolves once `endpoint` has had `count` answers held in all. A test's hook: for an
   * afterAction latency fault the endpoint's work (the delivery) is done by then, whatever the
   * client has seen so far.
   */
  whenHeld(endpoint: string, count = 1): Promise<void> {
    if ((this.holds.get(endpoint) ?? 0) >= count) return Promise.resolve();
    return new Promise((resolve) => this.holdWaiters.push({ endpoint, count, resolve }));
  }

  record(call: CallRecord): void {
    this.calls.push(call);
    if (this.calls.length > 10_000) this.calls.splice(0, this.calls.length - 10_000);
    this.callCounts.set(call.endpoint, (this.callCounts.get(call.endpoint) ?? 0) + 1);
  }

  callCountsByEndpoint(): Record<string, number> {
    return Object.fromEntries(this.callCounts);
  }

  resetCalls(): void {
    this.calls.length = 0;
    this.callCounts.clear();
  }
}
