import type { Database } from '../db/database';
import type { Judgement } from '../judgement';
import { loadCustomerInputs } from '../judgement/inputs';
import { recommendNextAction, type Assessment } from '../judgement/next-action-service';
import type { ActionKind } from '../next-action/types';
import { salutation } from '../next-action/wording';
import type { DemoMark } from '../sidebar-api/types';
import { countWaitingMessages, findComplaintExcerpts, findDemoFollows, findOpenRemindersOf, type DemoFollowRow } from './repository';

/**
 * The demo picker's customer list: every customer a viewer may open, judged exactly as the sidebar
 * judges them (tier, lifecycle stage, the one suggested next action), grouped by tier, with the
 * stories worth opening first marked. Bulk: a fixed number of queries for the whole scope, so a
 * supervisor of the whole corp gets the list as fast as a rep.
 */


export interface DemoCustomer {
  externalUserId: string;
  name: string;
  /** Remark, or whose customer it is when the viewer sees it through a report. */
  hint: string;
  tier: string;
  tierLabel: string;
  tierRank: number;
  score: number;
  stage: string;
  stageLabel: string;
  action: { kind: ActionKind; title: string };
  marks: DemoMark[];
}

/** Relations ended this recently still appear (as 已流失): a lost customer is part of the story. */
const ENDED_WITHIN_MS = 90 * 86_400_000;
/** The whole scope is judged; more than this many relations is not a picker any more. */
const SCOPE_LIMIT = 3000;

export interface PickerOptions {
  /** The viewer and everyone below them. */
  scope: string[];
  viewerId: string;
  now: Date;
  search?: string;
  /** How many customers per tier (search results are not cut per tier). */
  perTier: number;
}

export async function listDemoCustomers(db: Database, judgement: Judgement, o: PickerOptions): Promise<DemoCustomer[]> {
  const t = o.now.getTime();
  const follows = await findDemoFollows(db, o.scope, { now: t, endedWithinMs: ENDED_WITHIN_MS, search: o.search, limit: o.search ? 50 : SCOPE_LIMIT });
  // One row per customer: the viewer's own relation first, then an active one.
  const byCustomer = new Map<string, DemoFollowRow>();
  for (const f of follows) {
    const seen = byCustomer.get(f.externalUserId);
    if (!seen || rank(f, o.viewerId) < rank(seen, o.viewerId)) byCustomer.set(f.externalUserId, f);
  }
  const ids = [...byCustomer.keys()];
  if (ids.length === 0) return [];
  const [inputs, waiting, reminders] = await Promise.all([
    loadCustomerInputs(db, ids, o.now, judgement.tiers.windows()),
    countWaitingMessages(db, ids),
    findOpenRemindersOf(db, o.scope),
  ]);
  const complaintIds = [...inputs.values()].flatMap((i) => i.complaints.filter((c) => c.status !== 'closed').map((c) => Number(c.id)));
  const excerpts = await findComplaintExcerpts(db, complaintIds);

  const out: DemoCustomer[] = [];
  for (const id of ids) {
    const f = byCustomer.get(id)!;
    const input = inputs.get(id)!;
    const { tier, lifecycle } = judgement.tiers.evaluate(input, o.now);
    const open = input.complaints.filter((c) => c.status !== 'closed').sort((a, b) => a.openedAt.getTime() - b.openedAt.getTime());
    const n = waiting.get(id) ?? 0;
    const assessment: Assessment = {
      externalUserId: id, inputs: input, tier, lifecycle,
      pressureState: {
        id, tier: tier.tier, timeZone: null, touches: input.touches, lastInboundAt: input.lastInboundAt, complaint: input.complaint, relation: input.relation,
      },
      openComplaints: open.map((c) => ({ complaint: c, excerpt: excerpts.get(String(c.id)) ?? null })),
      waiting: input.unansweredSince && n > 0 ? { count: n, since: input.unansweredSince } : null,
    };
    const mine = reminders.filter((r) => r.externalUserId === id && r.userId === f.userId);
    // Addressed and judged as the sidebar's profile does (profile-service.ts), so the two never disagree.
    const next = recommendNextAction(judgement, assessment, {
      name: salutation(judgement.policy.nextAction.salutation, f.remark, f.wecomName),
      reminders: mine.map((r) => ({ id: r.id, title: r.title, dueAt: new Date(r.dueAt), message: r.message ?? undefined, kind: r.kind })),
      relation: f.status !== 'ended' ? 'active' : f.endedBy === 'customer_deleted' ? 'deleted_by_customer' : f.endedBy === 'rep_deleted' ? 'deleted_by_rep' : 'ended',
      postSaleFromReminders: true,
    }, o.now).recommendation;
    const marks: DemoMark[] = [];
    if (open.length > 0) marks.push('complaint');
    if (assessment.waiting) marks.push('waiting');
    if (lifecycle.stage === 'at_risk' || lifecycle.stage === 'dormant') marks.push('churn_risk');
    if (lifecycle.stage === 'lost') marks.push('lost');
    else if (next.kind === 'give_space' && next.priority >= 95) marks.push('give_space');
    out.push({
      externalUserId: id, name: f.name,
      hint: f.userId !== o.viewerId ? `${f.ownerName}的客户` : f.remark && f.remark !== f.name ? f.remark : '',
      tier: tier.tier, tierLabel: tier.tierLabel, tierRank: tier.rank, score: Math.round(tier.score),
      stage: lifecycle.stage, stageLabel: lifecycle.label, action: { kind: next.kind, title: next.title }, marks,
    });
  }
  return o.search ? out.sort(byAttention) : pickPerTier(out, o.perTier);
}

function rank(f: DemoFollowRow, viewerId: string): number {
  return (f.userId === viewerId ? 0 : 2) + (f.status === 'ended' ? 1 : 0);
}

/** Marked stories first, then customers with something to do, then the most recently active. */
function byAttention(a: DemoCustomer, b: DemoCustomer): number {
  return a.tierRank - b.tierRank || b.marks.length - a.marks.length || weight(b) - weight(a);
}

function weight(c: DemoCustomer): number {
  return c.action.kind === 'give_space' ? 0 : 1;
}

/**
 * Per tier, a tour before a list: the first customer of each suggested action (so every kind of
 * advice Fencun gives is one tap away), then marked ones, then the rest in activity order.
 */
function pickPerTier(all: DemoCustomer[], perTier: number): DemoCustomer[] {
  const tiers = new Map<number, DemoCustomer[]>();
  for (const c of all) (tiers.get(c.tierRank) ?? tiers.set(c.tierRank, []).get(c.tierRank)!).push(c);
  const out: DemoCustomer[] = [];
  for (const rankNo of [...tiers.keys()].sort((a, b) => a - b)) {
    const list = tiers.get(rankNo)!;
    const picked = new Set<DemoCustomer>();
    const kinds = new Set<string>();
    const stages = new Set<string>();
    for (const c of list) {
      if (picked.size >= perTier) break;
      if (!kinds.has(c.action.kind)) {
        kinds.add(c.action.kind);
        stages.add(c.stage);
        picked.add(c);
      }
    }
    for (const c of list) {
      if (picked.size >= perTier) break;
      if (!picked.has(c) && !stages.has(c.stage)) {
        stages.add(c.stage);
        picked.add(c);
      }
    }
    for (const c of list) if (picked.size < perTier && !picked.has(c) && c.marks.length > 0) picked.add(c);
    for (const c of list) if (picked.size < perTier) picked.add(c);
    out.push(...[...picked].sort((a, b) => b.marks.length - a.marks.length || weight(b) - weight(a)));
  }
  return out;
}

/**
 * Where the demo suggests starting: the busiest rep of the first team. The seeding writes its
 * showcase stories into this rep's book, and the picker marks the same rep, so both agree.
 */
export function showcaseRep<T extends { isSupervisor: boolean; customers: number }>(members: T[]): T | null {
  return members.find((m) => !m.isSupervisor && m.customers > 0) ?? null;
}
