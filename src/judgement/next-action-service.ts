import type { Complaint } from '../complaints/policy';
import type { Database } from '../db/database';
import type { LifecycleResult } from '../lifecycle';
import { nextBestAction } from '../next-action/recommend';
import type { NextActionFacts, NextActionResult } from '../next-action/types';
import { evaluate, type PressureState, type Touch } from '../pressure';
import type { TierResult } from '../tiers';
import type { OrderFact } from '../tiers/types';
import type { Judgement } from './index';
import { loadCustomerInputs, type CustomerInputs } from './inputs';
import { countInboundSince, findComplaintExcerpts } from './inputs-repository';

/** Everything judged about one customer, loaded from the database (no presentation). */
export interface Assessment {
  externalUserId: string;
  inputs: CustomerInputs;
  tier: TierResult;
  lifecycle: LifecycleResult;
  pressureState: PressureState;
  /** Open complaints, oldest first, with the message or note that raised them. */
  openComplaints: { complaint: Complaint; excerpt: string | null }[];
  /** The customer's messages still waiting for our reply. */
  waiting: { count: number; since: Date } | null;
}

/** What only the caller knows: how to address the customer, and the rep's open reminders. */
export interface AddressContext {
  /** Customer-safe salutation (next-action/wording salutation), never the raw remark. */
  name: string;
  reminders: NextActionFacts['reminders'];
  /** The viewing rep's own relation, when it has ended though a colleague still follows the customer. */
  relation?: NextActionFacts['relation'];
  /** Care reminders are wired: post-sale care comes through them (see NextActionFacts). */
  postSaleFromReminders?: boolean;
  /** The customer's stored birthday (customer_attributes), for the birthday suggestion. */
  birthday?: { month: number; day: number } | null;
}

/**
 * Loads what the next-best-action decision needs for one customer: a fixed handful of queries,
 * run side by side with whatever else the caller loads.
 */
export async function assessCustomer(db: Database, judgement: Judgement, externalUserId: string, now: Date): Promise<Assessment> {
  const inputs = (await loadCustomerInputs(db, [externalUserId], now, judgement.tiers.windows())).get(externalUserId)!;
  const unansweredSince = inputs.unansweredSince;
  const { tier, lifecycle } = judgement.tiers.evaluate(inputs, now);
  const open = inputs.complaints.filter((c) => c.status !== 'closed').sort((a, b) => a.openedAt.getTime() - b.openedAt.getTime());
  const [waitingCount, excerpts] = await Promise.all([
    unansweredSince ? countInboundSince(db, externalUserId, unansweredSince.getTime()) : 0,
    findComplaintExcerpts(db, open.map((c) => c.id)),
  ]);
  return {
    externalUserId,
    inputs,
    tier,
    lifecycle,
    pressureState: {
      id: externalUserId, tier: tier.tier, timeZone: null, touches: inputs.touches,
      lastInboundAt: inputs.lastInboundAt, complaint: inputs.complaint, relation: inputs.relation,
    },
    openComplaints: open.map((c) => ({ complaint: c, excerpt: excerpts.get(c.id) ?? null })),
    waiting: unansweredSince && waitingCount > 0 ? { count: waitingCount, since: unansweredSince } : null,
  };
}

/** The pure step: ranked candidates and one recommendation for an assessed customer. */
export function recommendNextAction(judgement: Judgement, a: Assessment, ctx: AddressContext, now: Date): NextActionResult {
  // The viewer's relation decides what they can send: a customer who deleted this rep is not
  // reachable by them even while a colleague still has them.
  const state: PressureState = ctx.relation && ctx.relation !== 'active' ? { ...a.pressureState, relation: ctx.relation } : a.pressureState;
  const verdict = (r: Parameters<typeof evaluate>[1], at = now) => evaluate(state, r, at, judgement.pressurePolicy);
  const lastInboundAt = a.inputs.lastInboundAt;
  // Replies recorded as service are not touches the customer left unanswered.
  const proactive = a.inputs.touches.filter((x) => x.category !== 'service');
  // A keyword suggestion the rep has not confirmed is shown for confirmation, not treated as a complaint.
  const confirmed = a.openComplaints.find((c) => c.complaint.status === 'confirmed') ?? null;
  const facts: NextActionFacts = {
    customer: { id: a.externalUserId, name: ctx.name },
    relation: ctx.relation,
    timeZone: null,
    tier: { id: a.tier.tier, label: a.tier.tierLabel },
    lifecycle: a.lifecycle,
    pressure: {
      service: verdict('service'), care: verdict('care'), marketing: verdict('marketing'),
      complaintFollowUp: verdict({ category: 'care', complaintFollowUp: true }),
    },
    waiting: a.waiting,
    complaint: confirmed
      ? { status: 'confirmed', openedAt: confirmed.complaint.openedAt, summary: clip(confirmed.excerpt ?? '', 40) || undefined }
      : null,
    reminders: ctx.reminders,
    postSaleFromReminders: ctx.postSaleFromReminders,
    careAllowedFrom: (from) => {
      const v = verdict('care', from);
      return v.allowed ? from : v.nextAllowedAt;
    },
    orders: a.inputs.orders,
    firstPurchaseAt: firstPaid(a.inputs.orders),
    birthday: ctx.birthday ? { month: ctx.birthday.month, day: ctx.birthday.day } : null,
    lastInboundAt,
    lastProactiveAt: latest(proactive),
    lastCareAt: latest(proactive.filter((x) => x.category === 'care')),
    unansweredTouches: proactive.filter((x) => lastInboundAt === null || x.at > lastInboundAt).length,
    offer: null,
  };
  return nextBestAction(facts, now, judgement.policy.nextAction);
}

function firstPaid(orders: OrderFact[]): Date | null {
  const paid = orders.filter((o) => o.amount > 0);
  return paid.length ? new Date(Math.min(...paid.map((o) => o.at.getTime()))) : null;
}

function latest(touches: Touch[]): Date | null {
  return touches.length ? new Date(Math.max(...touches.map((x) => x.at.getTime()))) : null;
}

function clip(s: string, n: number): string {
  return s.length > n ? s.slice(0, n) + '…' : s;
}
