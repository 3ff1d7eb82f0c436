import type { Sql } from '../db/database';
import { num, numOrNull, placeholders, chunks } from '../db/sql';
import type { CampaignFact, ChangeFact, CustomerFact, DayRange, DigestData, FollowFact, GroupPostFact, MessageFact } from './compute';
import type { OrgDepartment, OrgMember } from './supervision';

const REPEAT_WINDOW_MS = 90 * 86_400_000;
/** Reasons a campaign recipient was capped rather than deferred (campaigns/types.ts PlanReason). */
const CAP_REASONS = ['DAILY_CAP', 'WEEKLY_CAP', 'MONTHLY_CAP', 'PLATFORM_QUOTA', 'SCHEDULE_FULL', 'MIN_GAP', 'BACKOFF_PAUSED'];
/**
 * Reasons a group send was skipped by the group rule rather than by the group itself
 * (group-content/plan.ts GROUP_REASON_ORDER: GROUP_NOT_FOUND, NO_OWNER, TOO_LATE and
 * RELATION_ENDED are about the group or Fencun being late, not about pressure).
 */
const GROUP_CAP_REASONS = ['PLATFORM_QUOTA', 'MONTHLY_CAP', 'WEEKLY_CAP', 'DAILY_CAP', 'MIN_GAP', 'QUIET_HOURS'];

/** Reads for the digest: the org chart, and one day's book with its 30-day trend range. */
export class DigestRepository {
  constructor(private readonly db: Sql) {}

  async org(): Promise<{ departments: OrgDepartment[]; members: OrgMember[] }> {
    const [deps, mems] = await Promise.all([
      this.db.query<Record<string, unknown>>('SELECT dept_id, name, parent_id, leaders FROM departments'),
      this.db.query<Record<string, unknown>>('SELECT user_id, name, department_ids, status FROM members'),
    ]);
    return {
      departments: deps.map((r) => ({ id: num(r.dept_id), name: String(r.name ?? ''), parentId: numOrNull(r.parent_id), leaders: parseList<string>(r.leaders) })),
      members: mems.map((r) => ({ userId: String(r.user_id), name: String(r.name ?? ''), departmentIds: parseList<number>(r.department_ids), status: r.status === 'left' ? 'left' : 'active' })),
    };
  }

  /**
   * The book of `reps` (all reps when null) for day D judged at `asOf`. Loaded in a few range
   * reads; the per-rep split happens in compute.ts. A team's read covers every relation and
   * change of the team's customers, also those with reps outside the team, so each customer has
   * the owner and the transfers the corp-wide read gives them: a team's page and preview say what
   * the job (one read for everyone) sent.
   */
  async load(range: DayRange, asOf: number, reps: string[] | null): Promise<DigestData> {
    const { rangeStart, dayStart, dayEnd } = range;
    const inReps = (col: string) => (reps ? ` AND ${col} IN (${placeholders(reps.length)})` : '');
    const p = reps ?? [];
    const ids = reps === null ? null : reps.length === 0 ? [] : (await this.db.query<{ external_user_id: string }>(
      `SELECT DISTINCT external_user_id FROM follows WHERE user_id IN (${placeholders(reps.length)})`, reps)).map((r) => String(r.external_user_id));
    const byIds = async <T>(sql: (where: string) => string, params: unknown[]): Promise<T[]> => {
      if (!ids) return this.db.query<T>(sql(''), params);
      const out: T[] = [];
      for (const part of chunks(ids, 1000)) {
        if (part.length) out.push(...(await this.db.query<T>(sql(` AND external_user_id IN (${placeholders(part.length)})`), [...params, ...part])));
      }
      return out;
    };
    // One round of concurrent reads (a team first needs its customers' ids, above). Follow changes
    // are read past D too: a relation deleted and re-added after D (a past date on the page) has a
    // row that only knows the re-add, and its later loss says it was there during D's range
    // (found by test/digest/brute-force.test.ts); figures of D still count only D's changes.
    const [members, followRows, changeRows, tiers, facts, orders, messages, reminders, denials, campaigns, groupPosts] = await Promise.all([
      this.db.query<{ user_id: string; name: string }>('SELECT user_id, name FROM members'),
      byIds<Record<string, unknown>>((w) => `SELECT user_id, external_user_id, status, added_at, ended_at, ended_by, remark FROM follows WHERE 1 = 1${w}`, []),
      byIds<Record<string, unknown>>((w) =>
        `SELECT user_id, external_user_id, kind, at, detail FROM customer_changes
         WHERE kind IN ('follow_added', 'follow_ended') AND at >= ?${w}`, [rangeStart]),
      byIds<Record<string, unknown>>((w) => `SELECT external_user_id, tier, stage FROM customer_tiers WHERE 1 = 1${w}`, []),
      byIds<Record<string, unknown>>((w) =>
        `SELECT external_user_id, unanswered_since, last_touch_at, last_outbound_at, touches_since_inbound FROM customer_facts WHERE 1 = 1${w}`, []),
      byIds<Record<string, unknown>>((w) =>
        `SELECT external_user_id, paid_at FROM orders WHERE paid_at >= ? AND paid_at < ? AND amount > 0 AND external_user_id IS NOT NULL${w}`,
        [rangeStart - REPEAT_WINDOW_MS, dayEnd]),
      // Everyone's: MariaDB would rather walk chat_id IS NULL (half the table); the range index
      // covers the read. A team's: each customer's own range (external_user_id, msg_time), not
      // the whole corp's 31 days once per chunk of ids.
      byIds<Record<string, unknown>>((w) =>
        `SELECT external_user_id, user_id, direction, msg_time FROM messages${this.db.dialect !== 'mysql' ? '' : ids ? ' FORCE INDEX (ix_messages_external_user_id_msg_time)' : ' FORCE INDEX (idx_messages_digest)'}
         WHERE msg_time >= ? AND msg_time <= ? AND chat_id IS NULL AND external_user_id IS NOT NULL${w}`, [rangeStart, asOf]),
      this.db.query<Record<string, unknown>>(
        `SELECT user_id, status, due_at, done_at FROM reminders WHERE ((due_at >= ? AND due_at < ?) OR (done_at >= ? AND done_at < ?) OR (status = 'open' AND due_at < ?))${inReps('user_id')}`,
        [rangeStart, dayEnd, dayStart, dayEnd, dayEnd, ...p]),
      byIds<Record<string, unknown>>((w) => `SELECT external_user_id, reasons FROM pressure_denials WHERE at >= ? AND at < ?${w}`, [dayStart, dayEnd]),
      this.campaignOutcomes(range, ids),
      this.groupPostOutcomes(range, reps),
    ]);
    const follows: FollowFact[] = followRows.map((r) => ({
      userId: String(r.user_id), externalUserId: String(r.external_user_id), status: String(r.status), addedAt: numOrNull(r.added_at),
      endedAt: numOrNull(r.ended_at), endedBy: (r.ended_by as string) ?? null, remark: (r.remark as string) ?? null,
    }));
    const changes: ChangeFact[] = changeRows.map((r) => {
      const d = parseObject(r.detail);
      return {
        userId: String(r.user_id), externalUserId: String(r.external_user_id), kind: r.kind as ChangeFact['kind'], at: num(r.at),
        state: typeof d.state === 'string' ? d.state : null, addWay: typeof d.addWay === 'number' ? d.addWay : null,
        endedBy: typeof d.endedBy === 'string' ? d.endedBy : null,
      };
    });
    const customers = new Map<string, CustomerFact>();
    const get = (id: string) => {
      let c = customers.get(id);
      if (!c) customers.set(id, (c = { name: '', tier: null, stage: null, unansweredSince: null, lastCareAt: null, touchesSinceInbound: 0 }));
      return c;
    };
    for (const r of tiers) Object.assign(get(String(r.external_user_id)), { tier: String(r.tier), stage: (r.stage as string) ?? null });
    for (const r of facts) {
      const touch = numOrNull(r.last_touch_at);
      const out = numOrNull(r.last_outbound_at);
      Object.assign(get(String(r.external_user_id)), {
        unansweredSince: numOrNull(r.unanswered_since), touchesSinceInbound: num(r.touches_since_inbound ?? 0),
        lastCareAt: touch === null ? out : out === null ? touch : Math.max(touch, out),
      });
    }
    const msgs: MessageFact[] = messages.map((r) => ({
      externalUserId: String(r.external_user_id), userId: (r.user_id as string) ?? null, inbound: r.direction === 'in', at: num(r.msg_time),
    }));
    msgs.sort((a, b) => (a.externalUserId < b.externalUserId ? -1 : a.externalUserId > b.externalUserId ? 1 : a.at - b.at));
    return {
      members: new Map(members.map((m) => [m.user_id, m.name || m.user_id])),
      follows, changes, customers,
      orders: orders.map((r) => ({ externalUserId: String(r.external_user_id), paidAt: num(r.paid_at) })),
      messages: msgs,
      reminders: reminders.map((r) => ({ userId: String(r.user_id), status: String(r.status), dueAt: num(r.due_at), doneAt: numOrNull(r.done_at) })),
      // Each prevented touch is one row (unique per cause and customer); it counts under its first reason.
      denials: denials.map((r) => ({ externalUserId: String(r.external_user_id), reason: String(r.reasons ?? '').split(',')[0] || 'UNKNOWN' })),
      campaigns,
      groupPosts,
    };
  }

  /** WeCom names of these customers (the ones a digest names; read after the book). */
  async names(ids: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const part of chunks(ids, 1000)) {
      if (!part.length) continue;
      const rows = await this.db.query<Record<string, unknown>>(`SELECT external_user_id, name FROM external_contacts WHERE external_user_id IN (${placeholders(part.length)})`, part);
      for (const r of rows) out.set(String(r.external_user_id), String(r.name ?? ''));
    }
    return out;
  }

  /**
   * Group sends of day D, each counted once, under the group's owner (the rep WeCom sends it as):
   * sent (WeCom reported it sent that day), else capped (WeCom refused it as over the group's
   * quota that day, or it was scheduled that day and skipped by the group rule), else deferred
   * (scheduled that day and moved later by the group rule). Null without the group-content tables.
   */
  private async groupPostOutcomes(range: DayRange, reps: string[] | null): Promise<GroupPostFact[] | null> {
    if (!(await this.hasTable('group_post_sends'))) return null;
    if (reps && reps.length === 0) return [];
    const { dayStart, dayEnd } = range;
    const rows = await this.db.query<Record<string, unknown>>(
      `SELECT owner_user_id, decision, status, reason, occurrence_at, result_at FROM group_post_sends
       WHERE owner_user_id IS NOT NULL AND ((occurrence_at >= ? AND occurrence_at < ?) OR (result_at >= ? AND result_at < ?))
       ${reps ? `AND owner_user_id IN (${placeholders(reps.length)})` : ''}`,
      [dayStart, dayEnd, dayStart, dayEnd, ...(reps ?? [])]);
    const out: GroupPostFact[] = [];
    for (const r of rows) {
      const owner = String(r.owner_user_id);
      const resultAt = numOrNull(r.result_at);
      const resultOnD = resultAt !== null && resultAt >= dayStart && resultAt < dayEnd;
      const occ = num(r.occurrence_at);
      const scheduledOnD = occ >= dayStart && occ < dayEnd;
      if (resultOnD && r.status === 'sent') out.push({ owner, outcome: 'sent' });
      else if (resultOnD && r.status === 'over_quota') out.push({ owner, outcome: 'capped' });
      else if (scheduledOnD && r.decision === 'skipped' && GROUP_CAP_REASONS.includes(String(r.reason))) out.push({ owner, outcome: 'capped' });
      else if (scheduledOnD && r.decision === 'moved') out.push({ owner, outcome: 'deferred' });
    }
    return out;
  }

  /**
   * Campaign recipients of day D: sent (WeCom reported it sent that day), deferred (planned for a
   * later day by the pacing) and capped (excluded by a cap that day). Null when the campaigns
   * tables are not there (an older schema): the digest then leaves the section out.
   */
  private async campaignOutcomes(range: DayRange, ids: string[] | null): Promise<CampaignFact[] | null> {
    if (!(await this.hasTable('campaign_recipients'))) return null;
    const rows = await this.db.query<Record<string, unknown>>(
      `SELECT external_user_id, decision, reason, result, result_at, updated_at FROM campaign_recipients
       WHERE (result_at >= ? AND result_at < ?) OR (updated_at >= ? AND updated_at < ?)`,
      [range.dayStart, range.dayEnd, range.dayStart, range.dayEnd]);
    const wanted = ids ? new Set(ids) : null;
    const out: CampaignFact[] = [];
    for (const r of rows) {
      const id = String(r.external_user_id);
      if (wanted && !wanted.has(id)) continue;
      const resultAt = numOrNull(r.result_at);
      if (r.result === 'sent' && resultAt !== null && resultAt >= range.dayStart && resultAt < range.dayEnd) out.push({ externalUserId: id, outcome: 'sent' });
      else if (r.decision === 'deferred') out.push({ externalUserId: id, outcome: 'deferred' });
      else if (r.decision === 'excluded' && CAP_REASONS.includes(String(r.reason))) out.push({ externalUserId: id, outcome: 'capped' });
    }
    return out;
  }

  private async hasTable(name: string): Promise<boolean> {
    const rows = this.db.dialect === 'mysql'
      ? await this.db.query('SELECT 1 AS ok FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?', [name])
      : await this.db.query("SELECT 1 AS ok FROM sqlite_master WHERE type = 'table' AND name = ?", [name]);
    return rows.length > 0;
  }
}

function parseList<T>(v: unknown): T[] {
  if (v === null || v === undefined || v === '') return [];
  try {
    const x = JSON.parse(String(v));
    return Array.isArray(x) ? (x as T[]) : [];
  } catch {
    return [];
  }
}

function parseObject(v: unknown): Record<string, unknown> {
  if (v === null || v === undefined || v === '') return {};
  try {
    const x = JSON.parse(String(v));
    return x && typeof x === 'object' ? (x as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
