import { DateTime } from 'luxon';
import { campaignRequest } from '../campaigns/plan';
import { GroupContentService, type PreviewRow } from '../group-content/service';
import { loadCustomerInputs, type InputWindows } from '../judgement/inputs';
import { PressureService } from '../judgement/pressure-service';
import { TierService } from '../judgement/tier-service';
import type { PolicyConfig } from '../policy/config';
import type { CurrentPolicy } from '../policy/live';
import { createPressurePolicy, type PressurePolicy, type TouchRequest, type Verdict } from '../pressure';
import type { Services } from '../services';
import { AdminRepository, type PlannedTouch } from './repository';

/**
 * What a candidate policy would change, before it is saved: nothing is written.
 *
 * - Tiers: every customer scored under the current and the candidate tiers at `now` (both
 *   computed afresh from the same inputs, so stored tiers that are a little stale do not count
 *   as changes), with the moves from → to.
 * - Touches of next week (the next ISO week in FENCUN_TIMEZONE after `now`): open reminders due
 *   in it (care touches), customers of approved campaigns whose batch is planned in it, and group
 *   post occurrences in it not decided yet. Each is judged with the pure rules at its own
 *   instant, from the pressure states read once at `now` (as if nothing else happens before),
 *   under both policies; counted admitted or deferred by the first reason. Customer touches are
 *   judged with each customer's stored tier.
 */

const CUSTOMER_BATCH = 1000;
const WEEK = 7 * 86_400_000;

export interface TouchCounts {
  admitted: number;
  deferred: Record<string, number>;
}

export interface TouchComparison {
  total: number;
  current: TouchCounts;
  candidate: TouchCounts;
  /** Deferred now, admitted under the candidate. */
  newlyAdmitted: number;
  /** Admitted now, deferred under the candidate. */
  newlyDeferred: number;
}

export interface WhatIfResult {
  now: string;
  window: { from: string; to: string };
  currentVersion: number;
  tiers: { customers: number; changed: number; moves: { from: string; to: string; count: number }[] };
  touches: { reminders: TouchComparison; campaigns: TouchComparison; groupPosts: TouchComparison };
}

export async function whatIf(s: Services, o: { current: CurrentPolicy; candidate: PolicyConfig; now: Date }): Promise<WhatIfResult> {
  const zone = s.config.timezone;
  const from = DateTime.fromJSDate(o.now, { zone }).startOf('week').plus({ weeks: 1 }).toMillis();
  const to = from + WEEK;
  const repo = new AdminRepository(s.db);
  const policies = {
    current: createPressurePolicy(o.current.policy.pressure, zone),
    candidate: createPressurePolicy(o.candidate.pressure, zone),
  };
  const [tiers, reminders, campaigns, groupPosts] = await Promise.all([
    tierChanges(s, repo, o.current.policy, o.candidate, o.now),
    repo.remindersDue(from, to).then((t) => judgeTouches(s, policies, t, o.now, () => ({ category: 'care' }))),
    repo.campaignSendsDue(from, to).then((t) => judgeTouches(s, policies, t, o.now, (x) => campaignRequest(x.category === 'marketing' ? 'marketing' : 'care'))),
    groupPostChanges(s, policies, from, to, o.now),
  ]);
  return {
    now: o.now.toISOString(), window: { from: new Date(from).toISOString(), to: new Date(to).toISOString() }, currentVersion: o.current.version,
    tiers, touches: { reminders, campaigns, groupPosts },
  };
}

async function tierChanges(s: Services, repo: AdminRepository, current: PolicyConfig, candidate: PolicyConfig, now: Date): Promise<WhatIfResult['tiers']> {
  const cur = new TierService({ db: s.db, policy: current, timeZone: s.config.timezone });
  const cand = new TierService({ db: s.db, policy: candidate, timeZone: s.config.timezone });
  const sameWindows = sameInputs(cur.windows(), cand.windows());
  const moves = new Map<string, number>();
  let customers = 0;
  let changed = 0;
  const batches: string[][] = [];
  for (let after = 0; ;) {
    const batch = await repo.customersAfter(after, CUSTOMER_BATCH);
    if (!batch.length) break;
    after = batch[batch.length - 1].id;
    batches.push(batch.map((b) => b.externalUserId));
  }
  const score = async (ids: string[]) => {
    const curInputs = await loadCustomerInputs(s.db, ids, now, cur.windows());
    const candInputs = sameWindows ? curInputs : await loadCustomerInputs(s.db, ids, now, cand.windows());
    for (const id of ids) {
      const a = curInputs.get(id);
      const b = candInputs.get(id);
      if (!a || !b) continue;
      customers++;
      const x = cur.evaluate(a, now).tier.tier;
      const y = cand.evaluate(b, now).tier.tier;
      if (x === y) continue;
      changed++;
      const k = `${x}\u0000${y}`;
      moves.set(k, (moves.get(k) ?? 0) + 1);
    }
  };
  // MariaDB answers several batches' reads at once (a pool); SQLite has one connection.
  const lanes = s.db.dialect === 'mysql' ? 3 : 1;
  let next = 0;
  await Promise.all(Array.from({ length: lanes }, async () => {
    while (next < batches.length) await score(batches[next++]);
  }));
  return {
    customers, changed,
    moves: [...moves].map(([k, count]) => ({ from: k.split('\u0000')[0], to: k.split('\u0000')[1], count })).sort((a, b) => b.count - a.count || a.from.localeCompare(b.from)),
  };
}

function sameInputs(a: InputWindows, b: InputWindows): boolean {
  return a.orderDays === b.orderDays && a.engagementDays === b.engagementDays;
}

function emptyComparison(): TouchComparison {
  return { total: 0, current: { admitted: 0, deferred: {} }, candidate: { admitted: 0, deferred: {} }, newlyAdmitted: 0, newlyDeferred: 0 };
}

function tally(c: TouchCounts, admitted: boolean, reason: string | null): void {
  if (admitted) c.admitted++;
  else c.deferred[reason ?? 'UNKNOWN'] = (c.deferred[reason ?? 'UNKNOWN'] ?? 0) + 1;
}

function compare(out: TouchComparison, a: { admitted: boolean; reason: string | null }, b: { admitted: boolean; reason: string | null }): void {
  out.total++;
  tally(out.current, a.admitted, a.reason);
  tally(out.candidate, b.admitted, b.reason);
  if (!a.admitted && b.admitted) out.newlyAdmitted++;
  if (a.admitted && !b.admitted) out.newlyDeferred++;
}

const outcome = (v: Verdict) => (v.allowed ? { admitted: true, reason: null } : { admitted: false, reason: v.reasons[0] ?? null });

async function judgeTouches(
  s: Services, policies: { current: PressurePolicy; candidate: PressurePolicy }, touches: PlannedTouch[], now: Date, requestOf: (t: PlannedTouch) => TouchRequest,
): Promise<TouchComparison> {
  const out = emptyComparison();
  if (!touches.length) return out;
  const ids = [...new Set(touches.map((t) => t.externalUserId))];
  const service = (policy: PressurePolicy) => new PressureService({ db: s.db, policy, clock: s.clock, log: s.log });
  const [cur, cand] = [await service(policies.current).judgeFrom(ids, now), await service(policies.candidate).judgeFrom(ids, now)];
  for (const t of touches) {
    if (t.at < now.getTime()) continue;
    const request = requestOf(t);
    compare(out, outcome(cur(t.externalUserId, request, t.at)), outcome(cand(t.externalUserId, request, t.at)));
  }
  return out;
}

async function groupPostChanges(s: Services, policies: { current: PressurePolicy; candidate: PressurePolicy }, from: number, to: number, now: Date): Promise<TouchComparison> {
  const preview = async (policy: PressurePolicy) => {
    const service = new GroupContentService({ db: s.db, clock: s.clock, log: s.log, wecom: s.wecom, policy, timeZone: s.config.timezone });
    const rows = await service.list({ from, to, now });
    return new Map(rows.filter((r) => r.status === 'preview').map((r) => [`${r.postId}|${r.occurrenceAt}|${r.chatId}`, r] as [string, PreviewRow]));
  };
  const [cur, cand] = [await preview(policies.current), await preview(policies.candidate)];
  const out = emptyComparison();
  const of = (r: PreviewRow) => ({ admitted: r.decision === 'send', reason: r.reason });
  for (const [key, a] of cur) {
    const b = cand.get(key);
    if (b) compare(out, of(a), of(b));
  }
  return out;
}
