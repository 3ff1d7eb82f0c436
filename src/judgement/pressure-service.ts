import type { Clock } from '../clock';
import type { Database } from '../db/database';
import type { Log } from '../log';
import {
  BatchEvaluator, evaluateMany, PRESSURE_HISTORY_DAYS, type PressurePolicy, type PressureState, type ReasonCode, type TouchCategory, type TouchRequest,
  type Verdict,
} from '../pressure';
import { loadPressureStates } from './inputs';
import { countDenialsBetween, insertDenials } from './pressure-repository';

/** What asked for the touch: a campaign, a reminder, a group post… (kept on every denial). */
export interface TouchRef {
  kind: string;
  id: string;
}

export interface Denial {
  externalUserId: string;
  reasons: ReasonCode[];
  nextAllowedAt: Date | null;
  /**
   * What exactly was prevented when the ref covers several touches to one customer (a reminder
   * rule's key, e.g. post_sale:3:SO-1006); the ref's id otherwise.
   */
  cause?: string;
}

export interface AudienceVerdict {
  allowed: string[];
  denied: Denial[];
}

/**
 * The contact-pressure gate every proactive touch passes through: loads the customers' states
 * in bulk, asks the pure policy, and records each denial with its reasons and what asked, so
 * "over-contact prevented" can be counted and explained.
 */
export class PressureService {
  constructor(private readonly d: { db: Database; policy: PressurePolicy; clock: Clock; log: Log }) {}

  /**
   * Verdicts for an audience. Denials are recorded unless `record` is false, for callers that
   * reschedule a denied touch (a later time is not a prevented touch) and record the rest
   * themselves with `recordDenials`.
   */
  async evaluateAudience(
    ids: string[], request: TouchCategory | TouchRequest, at: Date, ref: TouchRef, o: { record?: boolean } = {},
  ): Promise<AudienceVerdict> {
    const states = await loadPressureStates(this.d.db, ids, at, this.d.policy.config.fallbackTier);
    const list = [...states.values()];
    const verdicts = evaluateMany(list, request, at, this.d.policy);
    const allowed: string[] = [];
    const denied: Denial[] = [];
    list.forEach((s, i) => {
      const v = verdicts[i] as Verdict;
      if (v.allowed) allowed.push(s.id);
      else denied.push({ externalUserId: s.id, reasons: v.reasons, nextAllowedAt: v.nextAllowedAt });
    });
    if (o.record !== false) await this.recordDenials(denied, typeof request === 'string' ? request : request.category, at, ref);
    return { allowed, denied };
  }

  /**
   * Verdicts for many (customer, request, instant) checks at or after `from`, with the states read
   * once: a caller that defers a touch asks again at its later instant without reading the
   * database again (the care-reminders run checks every deferred reminder this way). Each verdict
   * is the one evaluateAudience gives at that instant on the same data: touches older than
   * PRESSURE_HISTORY_DAYS before the instant, which a state read then would not hold, are left out.
   * Nothing is recorded.
   */
  async judgeFrom(ids: string[], from: Date): Promise<(id: string, request: TouchCategory | TouchRequest, at: number) => Verdict> {
    const states = await loadPressureStates(this.d.db, ids, from, this.d.policy.config.fallbackTier);
    const evaluators = new Map<string, BatchEvaluator>();
    const start = from.getTime();
    return (id, request, at) => {
      // Touches before `from`'s history were not read: an earlier instant could miss some.
      if (at < start) throw new Error(`pressure judge read states from ${from.toISOString()}; cannot judge ${new Date(at).toISOString()}`);
      const state = states.get(id);
      if (!state) throw new Error(`pressure judge has no state for ${id}: pass it to judgeFrom`);
      const key = typeof request === 'string' ? request : JSON.stringify(request);
      let ev = evaluators.get(key);
      if (!ev) evaluators.set(key, (ev = new BatchEvaluator(request, this.d.policy)));
      return ev.verdict(withinHistory(state, at), at);
    };
  }

  async evaluateOne(id: string, request: TouchCategory | TouchRequest, at: Date, ref: TouchRef): Promise<Verdict> {
    const { denied } = await this.evaluateAudience([id], request, at, ref);
    return denied.length ? { allowed: false, reasons: denied[0].reasons, nextAllowedAt: denied[0].nextAllowedAt } : { allowed: true };
  }

  /** Denials in a window: the digest's "over-contact prevented". */
  async countDenials(from: Date, to: Date): Promise<{ total: number; customers: number }> {
    return countDenialsBetween(this.d.db, from.getTime(), to.getTime());
  }

  /**
   * Records prevented touches, once per (ref kind, cause, customer): the unique key
   * uq_pressure_denials_cause turns the same touch evaluated again (every run and day of a
   * reminder's window, a campaign re-checked) into a no-op, so "over-contact prevented" counts
   * touches, not evaluations. The first prevention's instant and reasons are kept. Returns how
   * many were recorded now.
   */
  async recordDenials(denied: Denial[], category: string, at: Date, ref: TouchRef): Promise<number> {
    const recorded = await insertDenials(this.d.db, denied.map((d) => ({
      externalUserId: d.externalUserId, category, reasons: d.reasons, refKind: ref.kind, refId: ref.id, causeKey: d.cause ?? ref.id,
      at: at.getTime(), nextAllowedAt: d.nextAllowedAt?.getTime() ?? null,
    })));
    if (recorded) this.d.log.info({ ref, category, denied: denied.length, recorded }, 'contact pressure: touches suppressed');
    return recorded;
  }
}

const DAY = 86_400_000;

/** The state as loadPressureStates would read it at `at`: touches of its last PRESSURE_HISTORY_DAYS. */
function withinHistory(state: PressureState, at: number): PressureState {
  const since = at - PRESSURE_HISTORY_DAYS * DAY;
  if (!state.touches.some((x) => x.at.getTime() < since)) return state;
  return { ...state, touches: state.touches.filter((x) => x.at.getTime() >= since) };
}
