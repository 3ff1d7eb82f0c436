import type { Complaint } from '../complaints/policy';
import { complaintPressure, type ComplaintPressure } from '../complaints/policy';
import type { Sql } from '../db/database';
import { chunks, num, numOrNull } from '../db/sql';
import { findCustomerFacts } from '../messages/facts';
import { findOrderFacts } from '../orders/repository';
import type { RelationStatus } from '../policy/types';
import { channelOfStoredTouch, PRESSURE_HISTORY_DAYS, type PressureState, type Touch } from '../pressure';
import { findTouchesSince } from '../touches/repository';
import type { CustomerFacts, OrderFact } from '../tiers/types';
import {
  findComplaintsOf, findFollowRows, findInboundTimes, findTagsOf, scanActivelyFollowed, scanEndedFollows, scanLastInbound,
  scanLiveComplaints, scanTouchesSince, type FollowRow,
} from './inputs-repository';
import { findTierOverrides, findTiersOf, scanAllTiers } from './tier-repository';

const DAY = 86_400_000;

/** Everything the judgement core needs about one customer, loaded in bulk. */
export interface CustomerInputs {
  id: string;
  facts: CustomerFacts;
  orders: OrderFact[];
  touches: Touch[];
  lastInboundAt: Date | null;
  /** The oldest customer message still waiting for our reply (service first). */
  unansweredSince: Date | null;
  touchesSinceInbound: number;
  relation: RelationStatus;
  relationEndedAt: Date | null;
  addedAt: Date | null;
  complaints: Complaint[];
  complaint: ComplaintPressure;
  /** Stored tier (null before the first computation). */
  storedTier: string | null;
}

export interface InputWindows {
  /** Orders read back this far (the longest RFM/lifecycle window). */
  orderDays: number;
  /** Engagement window of config/tiers.json. */
  engagementDays: number;
}

/**
 * Loads inputs for many customers with a fixed number of queries per chunk of 1000 (orders,
 * facts, inbound times, touches, tags, overrides, follows, complaints, stored tiers) — never
 * one query per customer. Used by tier recomputation and batch pressure evaluation alike.
 */
export async function loadCustomerInputs(db: Sql, ids: string[], now: Date, w: InputWindows): Promise<Map<string, CustomerInputs>> {
  const out = new Map<string, CustomerInputs>();
  for (const part of chunks([...new Set(ids)], 1000)) {
    const t = now.getTime();
    const engagementSince = t - w.engagementDays * DAY;
    const touchSince = t - Math.max(w.engagementDays, PRESSURE_HISTORY_DAYS) * DAY;
    const [orders, facts, inbound, touches, tags, overrides, follows, complaints, tiers] = await Promise.all([
      findOrderFacts(db, part, t - w.orderDays * DAY),
      findCustomerFacts(db, part),
      findInboundTimes(db, part, engagementSince),
      findTouchesSince(db, part, touchSince),
      findTagsOf(db, part),
      findTierOverrides(db, part),
      relationsOf(db, part),
      findComplaintsOf(db, part),
      findTiersOf(db, part),
    ]);
    for (const id of part) {
      const f = facts.get(id);
      const customerTouches = (touches.get(id) ?? []).map((s) => ({ at: new Date(s.at), category: s.category }));
      const proactive = customerTouches.filter((x) => x.category !== 'service' && x.at.getTime() >= engagementSince);
      const inboundAt = inbound.get(id) ?? [];
      const rel = follows.get(id) ?? { relation: 'ended' as RelationStatus, endedAt: null, addedAt: null };
      const customerComplaints = complaints.get(id) ?? [];
      const customerOrders = orders.get(id) ?? [];
      out.set(id, {
        id,
        facts: {
          customerId: id,
          orders: customerOrders,
          engagement: {
            inboundMessages: inboundAt.length,
            proactiveTouches: proactive.length,
            answeredTouches: countAnswered(proactive.map((x) => x.at.getTime()), inboundAt),
            lastInboundAt: f?.lastInboundAt ?? null,
          },
          tags: tags.get(id) ?? [],
          override: overrides.get(id) ?? null,
        },
        orders: customerOrders,
        touches: customerTouches,
        lastInboundAt: f?.lastInboundAt ?? null,
        unansweredSince: f?.unansweredSince ?? null,
        // Touches recorded as service (replies) are not contact the customer left unanswered; the
        // stored count includes them, so count the loaded proactive touches after the last inbound.
        touchesSinceInbound: customerTouches.filter((x) => x.category !== 'service'
          && (f?.lastInboundAt == null || x.at.getTime() > f.lastInboundAt.getTime())).length,
        relation: rel.relation,
        relationEndedAt: rel.endedAt,
        addedAt: rel.addedAt,
        complaints: customerComplaints,
        complaint: complaintPressure(customerComplaints),
        storedTier: tiers.get(id) ?? null,
      });
    }
  }
  return out;
}

/**
 * Pressure states for many customers: touches of the last PRESSURE_HISTORY_DAYS, last inbound,
 * complaints, relation and stored tier — five queries per chunk of 1000 customers.
 */
export async function loadPressureStates(
  db: Sql, ids: string[], now: Date, fallbackTier: string, strategy: 'auto' | 'scan' | 'lookup' = 'auto',
): Promise<Map<string, PressureState>> {
  const unique = [...new Set(ids)];
  if (strategy === 'scan' || (strategy === 'auto' && unique.length > SCAN_THRESHOLD)) return scanPressureStates(db, unique, now, fallbackTier);
  const out = new Map<string, PressureState>();
  const since = now.getTime() - PRESSURE_HISTORY_DAYS * DAY;
  for (const part of chunks(unique, 1000)) {
    const [touches, facts, follows, complaints, tiers] = await Promise.all([
      findTouchesSince(db, part, since), findCustomerFacts(db, part), relationsOf(db, part), findComplaintsOf(db, part), findTiersOf(db, part),
    ]);
    for (const id of part) {
      out.set(id, {
        id,
        tier: tiers.get(id) ?? fallbackTier,
        touches: (touches.get(id) ?? []).map((t) => ({ at: new Date(t.at), category: t.category, channel: channelOfStoredTouch(t.source) })),
        lastInboundAt: facts.get(id)?.lastInboundAt ?? null,
        complaint: complaintPressure(complaints.get(id) ?? []),
        relation: follows.get(id)?.relation ?? 'ended',
      });
    }
  }
  return out;
}

/** Above this many customers, reading whole (narrow) tables beats thousands of IN lists. */
const SCAN_THRESHOLD = 5_000;

/** The complaint pressure of a customer who never complained, shared (a value, never changed). */
const NO_COMPLAINT: ComplaintPressure = Object.freeze(complaintPressure([]));

/**
 * The campaign-sized path: a handful of narrow range scans, joined in memory in one pass each.
 * Touches are read only for the pressure window; complaints only while they can still matter.
 * Relations read only the ids of actively followed customers (one column) plus the few ended
 * follows of everyone else, instead of every follow row: a customer with any active follow is
 * active whatever else they have (as foldRelations says), so only the others need folding.
 * Rows of customers outside `ids` are not filtered out one by one (at campaign size nearly
 * everyone is in): the final loop reads only the customers asked for.
 */
async function scanPressureStates(db: Sql, ids: string[], now: Date, fallbackTier: string): Promise<Map<string, PressureState>> {
  const since = now.getTime() - PRESSURE_HISTORY_DAYS * DAY;
  const [touchRows, factRows, activeRows, endedRows, complaints, tiers] = await Promise.all([
    scanTouchesSince(db, since),
    scanLastInbound(db),
    scanActivelyFollowed(db),
    // In id order, as a whole-table read returns them, so ties between ended follows fold the same way.
    scanEndedFollows(db),
    scanLiveComplaints(db, now.getTime() - 366 * DAY),
    scanAllTiers(db),
  ]);
  const touches = new Map<string, Touch[]>();
  for (const r of touchRows) {
    const touch: Touch = { at: new Date(num(r.at)), category: r.category as Touch['category'], channel: channelOfStoredTouch(r.source) };
    const list = touches.get(r.external_user_id);
    if (list) list.push(touch);
    else touches.set(r.external_user_id, [touch]);
  }
  const lastInbound = new Map<string, number>();
  for (const r of factRows) lastInbound.set(r.external_user_id, num(r.last_inbound_at));
  const active = new Set<string>();
  for (const r of activeRows) active.add(r.external_user_id);
  const ended = foldRelations(endedRows.filter((r) => !active.has(r.external_user_id)));
  const out = new Map<string, PressureState>();
  for (const id of ids) {
    const inbound = lastInbound.get(id);
    const own = complaints.get(id);
    out.set(id, {
      id,
      tier: tiers.get(id) ?? fallbackTier,
      touches: touches.get(id) ?? [],
      lastInboundAt: inbound === undefined ? null : new Date(inbound),
      complaint: own ? complaintPressure(own) : NO_COMPLAINT,
      relation: active.has(id) ? 'active' : ended.get(id)?.relation ?? 'ended',
    });
  }
  return out;
}

/** A touch counts as answered when the customer wrote after it and before the next touch. */
export function countAnswered(touchTimes: number[], inboundTimes: number[]): number {
  const touches = [...touchTimes].sort((a, b) => a - b);
  let answered = 0;
  for (let i = 0; i < touches.length; i++) {
    const until = i + 1 < touches.length ? touches[i + 1] : Infinity;
    if (inboundTimes.some((m) => m > touches[i] && m <= until)) answered++;
  }
  return answered;
}

/** Active if any rep still follows the customer; otherwise how the last relation ended. */
async function relationsOf(db: Sql, ids: string[]): Promise<Map<string, Relation>> {
  return foldRelations(await findFollowRows(db, ids));
}

interface Relation { relation: RelationStatus; endedAt: Date | null; addedAt: Date | null }

/** Active if any rep still follows the customer; otherwise how the most recent relation ended. */
function foldRelations(rows: FollowRow[]): Map<string, Relation> {
  const out = new Map<string, Relation>();
  for (const r of rows) {
    const prev = out.get(r.external_user_id);
    const added = numOrNull(r.added_at);
    const addedAt = added === null ? prev?.addedAt ?? null : new Date(Math.min(added, prev?.addedAt?.getTime() ?? Infinity));
    if (r.status === 'active' || r.status === 'half') {
      out.set(r.external_user_id, { relation: 'active', endedAt: null, addedAt });
      continue;
    }
    if (prev?.relation === 'active') {
      out.set(r.external_user_id, { ...prev, addedAt });
      continue;
    }
    const endedAt = numOrNull(r.ended_at);
    if (prev?.endedAt && endedAt !== null && prev.endedAt.getTime() > endedAt) continue;
    const relation: RelationStatus =
      r.ended_by === 'customer_deleted' ? 'deleted_by_customer' : r.ended_by === 'rep_deleted' ? 'deleted_by_rep' : 'ended';
    out.set(r.external_user_id, { relation, endedAt: endedAt === null ? null : new Date(endedAt), addedAt });
  }
  return out;
}
