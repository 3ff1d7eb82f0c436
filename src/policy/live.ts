import { EventEmitter } from 'node:events';
import type { Clock } from '../clock';
import type { Database } from '../db/database';
import { AppError } from '../errors';
import { createJudgement, type Judgement } from '../judgement';
import type { Log } from '../log';
import { DEFAULT_CONFIG_DIR, parsePolicyConfig, PolicyConfigError, type PolicyConfig } from './config';
import { PolicyVersionRepository, type PolicyVersionInfo } from './versions';

/**
 * The policy in effect on this instance, and the versions saved through the console.
 *
 * config/*.json are the defaults (version 0). A version saved in policy_versions replaces them
 * everywhere without a restart: each instance asks for the highest version number every
 * POLICY_POLL_MS (one indexed MAX), and when it moved, reads that row, validates it exactly as
 * start-up validates the files (parsePolicyConfig), and rebuilds the judgement core in place
 * (services.judgement keeps its identity, so every holder of it sees the new rules at its next
 * call). A stored version that no longer validates (an upgrade changed a setting) is logged and
 * skipped: the instance keeps the last good policy rather than stopping.
 */

export const POLICY_POLL_MS = 5_000;
export const POLICY_PARTS = ['tiers', 'pressure', 'complaints', 'nextAction', 'reminders', 'digest'] as const;
export type PolicyPart = (typeof POLICY_PARTS)[number];

export interface CurrentPolicy {
  version: number;
  source: 'files' | 'database';
  savedAt: number | null;
  actor: string | null;
  note: string | null;
  /** The validated policy. */
  policy: PolicyConfig;
}

export interface LivePolicyDeps {
  db: Database;
  judgement: Judgement;
  timeZone: string;
  clock: Clock;
  log: Log;
}

export class LivePolicy extends EventEmitter {
  private readonly repo: PolicyVersionRepository;
  private state: CurrentPolicy;
  private checkedAt = -Infinity;
  private inFlight: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** A stored version that failed validation: logged once, not every poll. */
  private rejected = -1;
  /** The highest version stored, valid or not: a save is based on it, so a bad row never blocks the next save. */
  private latest = 0;
  /** config/ as loaded at start-up. */
  private readonly defaults: PolicyConfig;

  constructor(private readonly d: LivePolicyDeps, private readonly pollMs = POLICY_POLL_MS) {
    super();
    this.defaults = d.judgement.policy;
    this.repo = new PolicyVersionRepository(d.db);
    this.state = { version: 0, source: 'files', savedAt: null, actor: null, note: null, policy: d.judgement.policy };
  }

  current(): CurrentPolicy {
    return this.state;
  }

  /** Polls every pollMs until stop(); the timer never holds the process open. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.refresh({ force: true }).catch((err) => this.d.log.warn({ err: (err as Error).message }, 'policy version poll failed')), this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * Switches to the highest saved version if it is not the one in effect. Without `force`, at most
   * one look-up per pollMs (a request path may call it freely).
   */
  async refresh(o: { force?: boolean } = {}): Promise<void> {
    if (!o.force && performance.now() - this.checkedAt < this.pollMs) return;
    this.inFlight ??= this.load().finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  private async load(): Promise<void> {
    const latest = await this.repo.latestVersion();
    this.checkedAt = performance.now();
    this.latest = Math.max(this.latest, latest);
    if (latest === this.state.version || latest === this.rejected) return;
    const row = latest === 0 ? null : await this.repo.get(latest);
    if (!row) return;
    let policy: PolicyConfig;
    try {
      policy = parsePolicyConfig(row.policy as Record<PolicyPart, unknown>, DEFAULT_CONFIG_DIR);
    } catch (err) {
      this.rejected = latest;
      this.d.log.error({ version: latest, err: (err as Error).message }, 'saved policy version does not validate; keeping the policy in effect');
      return;
    }
    this.apply({ version: row.version, source: 'database', savedAt: row.savedAt, actor: row.actor, note: row.note, policy });
  }

  private apply(next: CurrentPolicy): void {
    const previous = this.state.version;
    Object.assign(this.d.judgement, createJudgement({ db: this.d.db, policy: next.policy, timeZone: this.d.timeZone, clock: this.d.clock, log: this.d.log }));
    this.state = next;
    this.d.log.info({ version: next.version, previous, actor: next.actor }, 'policy version in effect');
    this.emit('changed', next);
  }

  /**
   * The policy a body describes: the parts given replace the current version's, the rest stay;
   * validated as start-up validates config/ (the same sentences). Throws a 400 AppError.
   */
  candidate(parts: unknown): { raw: Record<PolicyPart, unknown>; policy: PolicyConfig } {
    if (!parts || typeof parts !== 'object' || Array.isArray(parts)) {
      throw new AppError('POLICY_CONFIG_INVALID', `policy must be an object with any of ${POLICY_PARTS.join(', ')}`, { status: 400 });
    }
    const unknown = Object.keys(parts).filter((k) => !(POLICY_PARTS as readonly string[]).includes(k));
    if (unknown.length) {
      throw new AppError('POLICY_CONFIG_INVALID', `policy.${unknown[0]} is not a part of the policy (the parts are ${POLICY_PARTS.join(', ')}, one per file in config/)`, { status: 400 });
    }
    const raw = { ...rawOf(this.state.policy), ...(parts as Partial<Record<PolicyPart, unknown>>) };
    try {
      return { raw, policy: parsePolicyConfig(raw, DEFAULT_CONFIG_DIR) };
    } catch (err) {
      if (err instanceof PolicyConfigError) throw new AppError('POLICY_CONFIG_INVALID', err.message, { status: 400 });
      throw err;
    }
  }

  /**
   * Saves a new version edited from `basedOn` (default: the version in effect here) and switches
   * to it on this instance at once; the others follow at their next poll.
   */
  async save(parts: unknown, o: { actor: string; note: string; basedOn?: number; now: number }): Promise<CurrentPolicy> {
    await this.refresh({ force: true });
    const { raw, policy } = this.candidate(parts);
    const head = Math.max(this.latest, this.state.version);
    const basedOn = o.basedOn ?? head;
    if (basedOn !== head) throw changed(basedOn, head);
    const version = await this.repo.insert({ basedOn, policy: raw, actor: o.actor, note: o.note, savedAt: o.now });
    if (version === null) {
      await this.refresh({ force: true });
      throw changed(basedOn, Math.max(this.latest, this.state.version));
    }
    this.latest = Math.max(this.latest, version);
    this.apply({ version, source: 'database', savedAt: o.now, actor: o.actor, note: o.note, policy });
    return this.state;
  }

  async version(v: number): Promise<CurrentPolicy | null> {
    if (v === 0) return { version: 0, source: 'files', savedAt: null, actor: null, note: null, policy: this.defaults };
    const row = await this.repo.get(v);
    return row ? { version: row.version, source: 'database', savedAt: row.savedAt, actor: row.actor, note: row.note, policy: row.policy as PolicyConfig } : null;
  }

  list(limit: number): Promise<PolicyVersionInfo[]> {
    return this.repo.list(limit);
  }
}

function changed(basedOn: number, current: number): AppError {
  return new AppError('POLICY_CHANGED', `the policy changed while you edited it (you started from version ${basedOn}, the current one is ${current}); reload it and make your change again`, {
    status: 409, details: { current },
  });
}

/** The policy as the JSON its files hold (the parsed value re-validates to itself). */
export function rawOf(policy: PolicyConfig): Record<PolicyPart, unknown> {
  return JSON.parse(JSON.stringify(policy)) as Record<PolicyPart, unknown>;
}

const LIVE = new WeakMap<Judgement, LivePolicy>();

/** The one LivePolicy of a running Fencun (keyed by its judgement core). */
export function livePolicyOf(s: { db: Database; judgement: Judgement; config: { timezone: string }; clock: Clock; log: Log }): LivePolicy {
  let live = LIVE.get(s.judgement);
  if (!live) LIVE.set(s.judgement, (live = new LivePolicy({ db: s.db, judgement: s.judgement, timeZone: s.config.timezone, clock: s.clock, log: s.log })));
  return live;
}
