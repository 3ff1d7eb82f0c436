import { randomBytes } from 'node:crypto';

/** A fault the admin API injects: the next `count` calls to `endpoint` ('*' = any) misbehave. */
export interface Fault {
  endpoint: string;
  kind: 'latency' | 'errcode' | 'http' | 'drop' | 'body';
  count: number;
  /** errcode faults: the errcode to answer (-1, 45009, 60020, …). */
  errcode?: number;
  /** http faults: the status (default 502). */
  status?: number;
  /** latency faults: delay before answering normally. */
  latencyMs?: number;
  /** body faults: answer this JSON instead (a response of the wrong shape). */
  body?: unknown;
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
