import type { Sql } from '../db/database';
import { chunks, insertIgnoringDuplicates, num, numOrNull, placeholders } from '../db/sql';
import type { Audience, Campaign, CampaignStatus, Decision, NewCampaign, PlanBatch, PlanSummary, RecipientResult, Route } from './types';

/** Every statement about campaigns, their audience and their routing (STYLE.md 14: SQL here only). */

const DAY = 86_400_000;
const ACTIVE = "('active','half')";

export async function insertCampaign(tx: Sql, c: NewCampaign, now: number): Promise<number> {
  await tx.exec(
    `INSERT INTO campaigns (name, category, creator, audience, content, schedule_start, schedule_end, daily_rate, status, last_plan, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'draft', NULL, ?, ?)`,
    [c.name, c.category, c.creator, JSON.stringify(c.audience), JSON.stringify(c.content), Date.parse(c.schedule.start), Date.parse(c.schedule.end),
      c.schedule.perSenderDailyRate, now, now]);
  const [r] = await tx.query<{ id: unknown }>(tx.dialect === 'mysql' ? 'SELECT LAST_INSERT_ID() AS id' : 'SELECT last_insert_rowid() AS id');
  return num(r.id);
}

export async function findCampaign(db: Sql, id: number): Promise<(Campaign & { lastPlan: PlanSummary | null }) | null> {
  const [r] = await db.query<Record<string, unknown>>('SELECT * FROM campaigns WHERE id = ?', [id]);
  if (!r) return null;
  return {
    id: num(r.id), name: String(r.name), category: r.category as Campaign['category'], creator: String(r.creator),
    audience: JSON.parse(String(r.audience)), content: JSON.parse(String(r.content)),
    schedule: { start: new Date(num(r.schedule_start)).toISOString(), end: new Date(num(r.schedule_end)).toISOString(), perSenderDailyRate: num(r.daily_rate) },
    status: r.status as CampaignStatus, createdAt: num(r.created_at), approvedAt: numOrNull(r.approved_at), cancelledAt: numOrNull(r.cancelled_at),
    lastPlan: r.last_plan ? (JSON.parse(String(r.last_plan)) as PlanSummary) : null,
  };
}

export async function saveLastPlan(db: Sql, id: number, summary: PlanSummary, now: number): Promise<void> {
  await db.exec('UPDATE campaigns SET last_plan = ?, planned_at = ?, updated_at = ? WHERE id = ?', [JSON.stringify(summary), now, now, id]);
}

/** draft → approved, once: the conditional update is the guard two approvals race on. */
export async function markApproved(tx: Sql, id: number, now: number): Promise<boolean> {
  return (await tx.exec("UPDATE campaigns SET status = 'approved', approved_at = ?, updated_at = ? WHERE id = ? AND status = 'draft'", [now, now, id])) > 0;
}

export async function markCampaign(db: Sql, id: number, status: CampaignStatus, now: number): Promise<boolean> {
  const extra = status === 'cancelled' ? ', cancelled_at = ?' : '';
  const from = status === 'cancelled' ? "('draft','approved')" : "('approved')";
  return (await db.exec(`UPDATE campaigns SET status = ?${extra}, updated_at = ? WHERE id = ? AND status IN ${from}`,
    status === 'cancelled' ? [status, now, now, id] : [status, now, id])) > 0;
}

export async function campaignsWithStatus(db: Sql, status: CampaignStatus): Promise<number[]> {
  return (await db.query<{ id: unknown }>('SELECT id FROM campaigns WHERE status = ? ORDER BY id', [status])).map((r) => num(r.id));
}

// ---- audience --------------------------------------------------------------------------------

/**
 * The customers an audience selects, at `now`: every customer with a follow (active or ended:
 * an ended one is counted by the plan as RELATION_ENDED, so the operator sees them), narrowed by
 * each filter given (all filters AND together).
 */
export async function findAudience(db: Sql, a: Audience, now: number, fallbackTier: string): Promise<string[]> {
  const where: string[] = ['EXISTS (SELECT 1 FROM follows f WHERE f.external_user_id = ec.external_user_id)'];
  const params: unknown[] = [];
  const list = (xs: readonly unknown[]) => {
    params.push(...xs);
    return `(${placeholders(xs.length)})`;
  };
  if (a.tiers) {
    where.push(`COALESCE(ct.tier, ?) IN ${list(a.tiers)}`);
    params.splice(params.length - a.tiers.length, 0, fallbackTier);
  }
  if (a.stages) where.push(`ct.stage IN ${list(a.stages)}`);
  const tagMatch = (tag: string) => {
    params.push(tag, tag);
    return 'EXISTS (SELECT 1 FROM follow_tags ft LEFT JOIN corp_tags c2 ON c2.tag_id = ft.tag_id WHERE ft.external_user_id = ec.external_user_id AND (ft.tag_id = ? OR COALESCE(c2.name, ft.tag_name) = ?))';
  };
  if (a.tags?.all) for (const t of a.tags.all) where.push(tagMatch(t));
  if (a.tags?.any) where.push(`(${a.tags.any.map(tagMatch).join(' OR ')})`);
  if (a.owners) where.push(`EXISTS (SELECT 1 FROM follows f WHERE f.external_user_id = ec.external_user_id AND f.status IN ${ACTIVE} AND f.user_id IN ${list(a.owners)})`);
  if (a.departments) {
    where.push(`EXISTS (SELECT 1 FROM follows f JOIN members m ON m.user_id = f.user_id WHERE f.external_user_id = ec.external_user_id AND f.status IN ${ACTIVE} AND m.main_department IN ${list(a.departments)})`);
  }
  if (a.lastContactBefore) {
    where.push('(cf.last_msg_at IS NULL OR cf.last_msg_at < ?)');
    params.push(Date.parse(a.lastContactBefore));
  }
  if (a.lastContactAfter) {
    where.push('cf.last_msg_at >= ?');
    params.push(Date.parse(a.lastContactAfter));
  }
  if (a.hasOrdered !== undefined) {
    where.push(`${a.hasOrdered ? '' : 'NOT '}EXISTS (SELECT 1 FROM orders o WHERE o.external_user_id = ec.external_user_id)`);
  }
  if (a.noOrderInDays !== undefined) {
    where.push('NOT EXISTS (SELECT 1 FROM orders o WHERE o.external_user_id = ec.external_user_id AND o.paid_at >= ? AND o.paid_at <= ?)');
    params.push(now - a.noOrderInDays * DAY, now);
  }
  const base = `SELECT ec.external_user_id AS id FROM external_contacts ec
    LEFT JOIN customer_tiers ct ON ct.external_user_id = ec.external_user_id
    LEFT JOIN customer_facts cf ON cf.external_user_id = ec.external_user_id`;
  if (!a.externalUserIds) {
    return (await db.query<{ id: string }>(`${base} WHERE ${where.join(' AND ')}`, params)).map((r) => r.id);
  }
  const out: string[] = [];
  for (const part of chunks([...new Set(a.externalUserIds)], 1000)) {
    const rows = await db.query<{ id: string }>(`${base} WHERE ec.external_user_id IN (${placeholders(part.length)}) AND ${where.join(' AND ')}`, [...part, ...params]);
    out.push(...rows.map((r) => r.id));
  }
  return out;
}

// ---- routing ---------------------------------------------------------------------------------

/**
 * Who WeCom will push the task to for each customer: the actively following member who last had
 * a 1:1 message with them (wecom/API.md section 5.4); with no chat, the follow owner (the
 * earliest active follow, ties to the smaller user id, as reminders choose). Customers nobody
 * follows any more have no route.
 */
export async function findRoutes(db: Sql, ids: string[], strategy: 'auto' | 'scan' | 'lookup' = 'auto'): Promise<Map<string, Route>> {
  const scan = strategy === 'scan' || (strategy === 'auto' && ids.length > 5_000);
  const wanted = new Set(ids);
  const follows = new Map<string, { userId: string; added: number }[]>();
  const addFollows = (rows: { external_user_id: string; user_id: string; added_at: unknown }[]) => {
    for (const f of rows) {
      if (!wanted.has(f.external_user_id)) continue;
      const list = follows.get(f.external_user_id) ?? [];
      list.push({ userId: f.user_id, added: numOrNull(f.added_at) ?? Number.MAX_SAFE_INTEGER });
      follows.set(f.external_user_id, list);
    }
  };
  // Latest 1:1 message per (customer, member), by customer: no key string built per customer.
  const chats: Chats = new Map();
  const setChat = (id: string, userId: string, at: number) => {
    const list = chats.get(id);
    if (list) list.push({ userId, at });
    else chats.set(id, [{ userId, at }]);
  };
  let precise = ids;
  if (scan) {
    // Campaign-sized. A GROUP BY over every message is a full scan (over a minute at 1M rows), so
    // read each customer's latest 1:1 message through customer_facts.last_msg_at and the
    // (external_user_id, msg_time) index instead. When its author actively follows the customer,
    // that member is the last chatter among the followers; the few others (author gone, or two
    // messages at the same instant) take the exact per-customer query below.
    addFollows(await db.query(`SELECT external_user_id, user_id, added_at FROM follows WHERE status IN ${ACTIVE}`));
    const last = await db.query<{ external_user_id: string; user_id: string; at: unknown }>(
      `SELECT cf.external_user_id, m.user_id, m.msg_time AS at FROM customer_facts cf
       LEFT JOIN messages m ON m.external_user_id = cf.external_user_id AND m.msg_time = cf.last_msg_at AND ${COUNTED_CHAT}
       WHERE cf.last_msg_at IS NOT NULL`);
    const authors = new Map<string, { userId: string; at: number }[]>();
    for (const r of last) {
      if (!wanted.has(r.external_user_id)) continue;
      const list = authors.get(r.external_user_id) ?? [];
      // A null author (a message without a member) cannot route: that customer takes the exact query.
      if (!list.some((x) => x.userId === r.user_id)) list.push({ userId: r.user_id ?? '', at: num(r.at) });
      authors.set(r.external_user_id, list);
    }
    precise = [];
    for (const id of ids) {
      const a = authors.get(id);
      const f = follows.get(id);
      if (!f) continue;
      if (!a) continue; // never chatted: the follow owner
      if (a.length === 1 && a[0].userId && f.some((x) => x.userId === a[0].userId)) setChat(id, a[0].userId, a[0].at);
      else precise.push(id);
    }
    if (precise.length === 0) return choose(follows, chats);
  }
  for (const part of chunks(precise, 1000)) {
    const [f, m] = await Promise.all([
      scan ? Promise.resolve([]) : db.query<{ external_user_id: string; user_id: string; added_at: unknown }>(
        `SELECT external_user_id, user_id, added_at FROM follows WHERE status IN ${ACTIVE} AND external_user_id IN (${placeholders(part.length)})`, part),
      db.query<{ external_user_id: string; user_id: string; at: unknown }>(
        `SELECT m.external_user_id, m.user_id, MAX(m.msg_time) AS at FROM messages m WHERE ${COUNTED_CHAT} AND m.user_id IS NOT NULL
         AND m.external_user_id IN (${placeholders(part.length)}) GROUP BY m.external_user_id, m.user_id`, part),
    ]);
    addFollows(f);
    for (const c of m) setChat(c.external_user_id, c.user_id, num(c.at));
  }
  return choose(follows, chats);
}

/** 1:1 chat messages, as customer_facts counts them (messages to the app and recalls are no chat). */
const COUNTED_CHAT = "m.chat_id IS NULL AND m.channel <> 'app' AND m.msg_type NOT IN ('recall', 'event', 'switch')";

/** Each customer's latest 1:1 message per member (a short list: one entry per member who chatted). */
type Chats = Map<string, { userId: string; at: number }[]>;

function choose(follows: Map<string, { userId: string; added: number }[]>, chats: Chats): Map<string, Route> {
  const out = new Map<string, Route>();
  // A route is a value (sender, via): one shared object per pair, not one per customer.
  const routes = new Map<string, Route>();
  const route = (sender: string, via: Route['via']): Route => {
    const key = via === 'last_chat' ? `c|${sender}` : `o|${sender}`;
    let r = routes.get(key);
    if (!r) routes.set(key, (r = Object.freeze({ sender, via })));
    return r;
  };
  for (const [id, list] of follows) {
    const own = chats.get(id);
    let best: { userId: string; added: number } | null = null;
    let bestChat = -1;
    for (const f of list) {
      let chat = -1;
      if (own) for (const c of own) if (c.userId === f.userId) chat = c.at;
      if (!best || chat > bestChat || (chat === bestChat && (f.added < best.added || (f.added === best.added && f.userId < best.userId)))) {
        best = f;
        bestChat = chat;
      }
    }
    if (best) out.set(id, route(best.userId, bestChat >= 0 ? 'last_chat' : 'follow_owner'));
  }
  return out;
}

// ---- recipients and batches ------------------------------------------------------------------

export async function insertPlanRows(
  tx: Sql, campaignId: number, decisions: Map<string, Decision>, explanations: Map<string, string>, batches: PlanBatch[], now: number,
): Promise<void> {
  const batchOf = new Map<string, number>();
  for (const b of batches) for (const id of b.externalUserIds) batchOf.set(id, b.no);
  const rows = [...decisions].map(([id, d]) => [
    campaignId, id, d.kind, d.kind === 'admitted' ? null : d.reason, explanations.get(id) ?? '', d.route?.sender ?? null, d.route?.via ?? null,
    batchOf.get(id) ?? null, d.kind === 'excluded' ? null : d.sendAt, d.kind === 'excluded' ? 'excluded' : 'pending', now,
  ]);
  for (const part of chunks(rows, 500)) {
    await insertIgnoringDuplicates(tx, 'campaign_recipients',
      ['campaign_id', 'external_user_id', 'decision', 'reason', 'explanation', 'sender', 'route', 'batch_no', 'send_at', 'result', 'updated_at'],
      part, ['campaign_id', 'external_user_id']);
  }
  await insertIgnoringDuplicates(tx, 'campaign_batches',
    ['campaign_id', 'batch_no', 'sender', 'send_at', 'size', 'status', 'reminded_at', 'note', 'updated_at'],
    batches.map((b) => [campaignId, b.no, b.sender, b.sendAt, b.externalUserIds.length, 'planned', '[]', '', now]), ['campaign_id', 'batch_no']);
}

export interface BatchRow {
  campaignId: number;
  no: number;
  sender: string;
  sendAt: number;
  size: number;
  status: 'planned' | 'dispatched' | 'done' | 'cancelled' | 'failed';
  outboxId: number | null;
  msgId: string | null;
  taskStatus: number | null;
  remindedAt: number[];
  note: string;
}

function toBatch(r: Record<string, unknown>): BatchRow {
  return {
    campaignId: num(r.campaign_id), no: num(r.batch_no), sender: String(r.sender), sendAt: num(r.send_at), size: num(r.size),
    status: r.status as BatchRow['status'], outboxId: numOrNull(r.outbox_id), msgId: (r.msgid as string) ?? null,
    taskStatus: numOrNull(r.task_status), remindedAt: JSON.parse(String(r.reminded_at ?? '[]')), note: String(r.note ?? ''),
  };
}

export async function findBatches(db: Sql, campaignId: number): Promise<BatchRow[]> {
  return (await db.query<Record<string, unknown>>('SELECT * FROM campaign_batches WHERE campaign_id = ? ORDER BY batch_no', [campaignId])).map(toBatch);
}

/** Planned batches of approved campaigns whose send time has come. */
export async function findDueBatches(db: Sql, now: number): Promise<BatchRow[]> {
  return (await db.query<Record<string, unknown>>(
    `SELECT b.* FROM campaign_batches b JOIN campaigns c ON c.id = b.campaign_id
     WHERE b.status = 'planned' AND b.send_at <= ? AND c.status = 'approved' ORDER BY b.send_at, b.campaign_id, b.batch_no`, [now])).map(toBatch);
}

export async function findDispatchedBatches(db: Sql): Promise<BatchRow[]> {
  return (await db.query<Record<string, unknown>>(
    "SELECT * FROM campaign_batches WHERE status = 'dispatched' ORDER BY campaign_id, batch_no")).map(toBatch);
}

export async function findBatchRecipients(db: Sql, campaignId: number, no: number): Promise<string[]> {
  return (await db.query<{ external_user_id: string }>(
    "SELECT external_user_id FROM campaign_recipients WHERE campaign_id = ? AND batch_no = ? AND result = 'pending' ORDER BY external_user_id",
    [campaignId, no])).map((r) => r.external_user_id);
}

/** planned → dispatched, once: the guard two dispatchers race on (in the enqueue's transaction). */
export async function markDispatched(tx: Sql, campaignId: number, no: number, outboxId: number | null, now: number, note = ''): Promise<boolean> {
  return (await tx.exec(
    "UPDATE campaign_batches SET status = ?, outbox_id = ?, note = ?, updated_at = ? WHERE campaign_id = ? AND batch_no = ? AND status = 'planned'",
    [outboxId === null ? 'done' : 'dispatched', outboxId, note, now, campaignId, no])) > 0;
}

export async function updateBatch(db: Sql, b: BatchRow, patch: Partial<Pick<BatchRow, 'status' | 'msgId' | 'taskStatus' | 'remindedAt' | 'note'>>, now: number): Promise<void> {
  const n = { ...b, ...patch };
  await db.exec('UPDATE campaign_batches SET status = ?, msgid = ?, task_status = ?, reminded_at = ?, note = ?, polled_at = ?, updated_at = ? WHERE campaign_id = ? AND batch_no = ?',
    [n.status, n.msgId, n.taskStatus, JSON.stringify(n.remindedAt), n.note, now, now, b.campaignId, b.no]);
}

/** Customers re-decided before sending: left out with their reason and explanation. */
export async function excludeRecipients(tx: Sql, campaignId: number, rows: { id: string; reason: string; explanation: string }[], now: number): Promise<void> {
  for (const r of rows) {
    await tx.exec("UPDATE campaign_recipients SET decision = 'excluded', reason = ?, explanation = ?, batch_no = NULL, result = 'excluded', updated_at = ? WHERE campaign_id = ? AND external_user_id = ?",
      [r.reason, r.explanation, now, campaignId, r.id]);
  }
}

export async function setResults(db: Sql, campaignId: number, rows: { id: string; result: RecipientResult; at: number | null }[], now: number): Promise<void> {
  for (const r of rows) {
    await db.exec("UPDATE campaign_recipients SET result = ?, result_at = ?, updated_at = ? WHERE campaign_id = ? AND external_user_id = ? AND result <> ?",
      [r.result, r.at, now, campaignId, r.id, r.result]);
  }
}

/** Recipients of unsent batches become cancelled. */
export async function cancelPending(tx: Sql, campaignId: number, batchNos: number[], now: number): Promise<void> {
  if (!batchNos.length) return;
  await tx.exec(`UPDATE campaign_recipients SET result = 'cancelled', updated_at = ? WHERE campaign_id = ? AND result = 'pending' AND batch_no IN (${placeholders(batchNos.length)})`,
    [now, campaignId, ...batchNos]);
  await tx.exec(`UPDATE campaign_batches SET status = 'cancelled', updated_at = ? WHERE campaign_id = ? AND batch_no IN (${placeholders(batchNos.length)})`,
    [now, campaignId, ...batchNos]);
}

export async function countResults(db: Sql, campaignId: number): Promise<Record<string, number>> {
  const rows = await db.query<{ result: string; n: unknown }>('SELECT result, COUNT(*) AS n FROM campaign_recipients WHERE campaign_id = ? GROUP BY result', [campaignId]);
  return Object.fromEntries(rows.map((r) => [r.result, num(r.n)]));
}

export async function findRecipient(db: Sql, campaignId: number, id: string): Promise<{ decision: string; reason: string | null; result: string; explanation: string } | null> {
  const [r] = await db.query<Record<string, unknown>>('SELECT decision, reason, result, explanation FROM campaign_recipients WHERE campaign_id = ? AND external_user_id = ?', [campaignId, id]);
  return r ? { decision: String(r.decision), reason: (r.reason as string) ?? null, result: String(r.result), explanation: String(r.explanation) } : null;
}

/** WeCom names of a few customers (a plan's samples), so an operator reads 陈女士, not an external id. */
export async function findCustomerNames(db: Sql, ids: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const part of chunks(ids, 500)) {
    const rows = await db.query<{ external_user_id: string; name: string | null }>(
      `SELECT external_user_id, name FROM external_contacts WHERE external_user_id IN (${placeholders(part.length)})`, part);
    for (const r of rows) if (r.name) out.set(r.external_user_id, r.name);
  }
  return out;
}
