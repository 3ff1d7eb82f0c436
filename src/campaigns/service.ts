import { DateTime } from 'luxon';
import type { Clock } from '../clock';
import type { Database } from '../db/database';
import { AppError } from '../errors';
import { issuesText } from '../issue-text';
import type { Judgement } from '../judgement';
import { loadPressureStates } from '../judgement/inputs';
import type { Job } from '../jobs/job';
import type { Log } from '../log';
import { massTaskFailList } from '../outbox/mass-task-result';
import { enqueue } from '../outbox/service';
import { OutboxRepository } from '../outbox/repository';
import type { ReasonCode } from '../pressure';
import type { Services } from '../services';
import type { WecomClient } from '../wecom/client';
import type { MsgAttachment } from '../wecom/requests';
import { campaignRequest, explainDecision, orderReasons, planCampaign, type Plan, type PlanRecipient } from './plan';
import { MaterialLibrary } from '../materials/service';
import { checkMaterials, resolveAttachments } from './media';
import * as repo from './repository';
import { NewCampaignSchema, type Campaign, type PlanSummary, type RecipientResult } from './types';

/**
 * Campaigns to customers, end to end: create → plan (any number of times, nothing written but
 * the summary) → approve (plan again at that instant, persist every decision and batch, in one
 * transaction guarded by draft→approved) → dispatch each batch when its time comes (its
 * customers judged once more, then one add_msg_template intent in the outbox, written in the
 * same transaction as the batch's planned→dispatched) → track WeCom's task and per-customer
 * results until final; remind members who have not sent; cancel.
 *
 * Promises: one batch is one outbox intent (key campaign:<id>:batch:<no>, and planned→dispatched
 * commits with it), so a crash or a second instance never makes a second WeCom task; a customer
 * whose state changed since approval (a complaint, a touch, a deleted rep) is re-decided before
 * their batch is sent; nothing here calls a sending verb of the WeCom client (the outbox does).
 */

export interface CampaignHooks {
  /** Called inside a batch's dispatch transaction after the intent is written (crash tests). */
  afterEnqueue?: (campaignId: number, batchNo: number) => Promise<void> | void;
}

export interface CampaignDeps {
  db: Database;
  clock: Clock;
  log: Log;
  judgement: Judgement;
  wecom: WecomClient;
  hooks?: CampaignHooks;
}

/** remind_groupmsg_send: WeCom allows 3 reminders per task per 24 h (wecom/API.md 4.10). */
export const MAX_REMINDERS_PER_DAY = 3;
const DAY = 86_400_000;

const RESULT_OF_STATUS: Record<number, RecipientResult> = { 0: 'pending', 1: 'sent', 2: 'not_friend', 3: 'over_quota' };

export class CampaignService {
  private readonly outbox: OutboxRepository;

  private readonly library: MaterialLibrary;

  constructor(private readonly d: CampaignDeps) {
    this.outbox = new OutboxRepository(d.db);
    this.library = new MaterialLibrary({ db: d.db, clock: d.clock, log: d.log, wecom: d.wecom });
  }

  async create(input: unknown): Promise<Campaign> {
    const r = NewCampaignSchema.safeParse(input);
    if (!r.success) {
      throw new AppError('CAMPAIGN_INVALID', `活动没有创建，请改正后再提交：${issuesText(r.error.issues, { root: '活动', input })}`, { status: 400 });
    }
    await checkMaterials(r.data.content.attachments, this.library, 'CAMPAIGN_INVALID');
    const now = this.d.clock().getTime();
    const id = await this.d.db.transaction((tx) => repo.insertCampaign(tx, r.data, now));
    this.d.log.info({ campaignId: id, name: r.data.name }, 'campaign created');
    return (await this.get(id))!;
  }

  async get(id: number): Promise<(Campaign & { lastPlan: PlanSummary | null }) | null> {
    return repo.findCampaign(this.d.db, id);
  }

  private async require(id: number) {
    const c = Number.isSafeInteger(id) && id > 0 ? await this.get(id) : null;
    if (!c) throw new AppError('CAMPAIGN_NOT_FOUND', `没有编号为 ${id} 的活动，请检查活动编号`, { status: 404 });
    return c;
  }

  /** The plan at `now`, computed from the stored data; stored as the campaign's last plan. */
  async plan(id: number, now: Date): Promise<PlanSummary> {
    const c = await this.require(id);
    const p = await this.compute(c, now.getTime());
    await repo.saveLastPlan(this.d.db, id, p.summary, now.getTime());
    return p.summary;
  }

  /** Audience → pressure states and routes → the pure plan. */
  async compute(c: Campaign, now: number): Promise<Plan> {
    const fallback = this.d.judgement.policy.pressure.fallbackTier;
    // In id order, the plan's own: the audience query usually returns them so already; when not,
    // a plain string sort here is far cheaper than the plan's comparator sort.
    const ids = await repo.findAudience(this.d.db, c.audience, now, fallback);
    if (!ids.every((id, i) => i === 0 || ids[i - 1] < id)) ids.sort();
    const [states, routes] = await Promise.all([
      loadPressureStates(this.d.db, ids, new Date(now), fallback),
      repo.findRoutes(this.d.db, ids),
    ]);
    const recipients: PlanRecipient[] = ids.map((id) => ({ state: states.get(id)!, route: routes.get(id) ?? null }));
    const plan = planCampaign({
      recipients, category: c.category, now, policy: this.d.judgement.pressurePolicy,
      schedule: { start: Date.parse(c.schedule.start), end: Date.parse(c.schedule.end), perSenderDailyRate: c.schedule.perSenderDailyRate },
    });
    const samples = Object.values(plan.summary.samples).flat();
    const names = await repo.findCustomerNames(this.d.db, [...new Set(samples.map((x) => x.externalUserId))]);
    for (const x of samples) {
      const name = names.get(x.externalUserId);
      if (name) x.name = name;
    }
    return plan;
  }

  /**
   * Approves: plans again at `now` (customers whose state changed since the last plan are
   * re-decided), writes every decision and batch, then dispatches what is due. A second approval
   * (a retry after a crash, another instance) finds the campaign approved and only dispatches.
   */
  async approve(id: number, now: Date): Promise<{ approved: boolean; summary: PlanSummary; changed: number; dispatched: number }> {
    const c = await this.require(id);
    if (c.status === 'cancelled') throw new AppError('CAMPAIGN_CANCELLED', `活动 ${id} 已取消，不能再批准；要重新发送，请新建一个活动`, { status: 409 });
    const t = now.getTime();
    if (c.status !== 'draft') {
      const dispatched = await this.dispatch(now, id);
      return { approved: false, summary: c.lastPlan!, changed: 0, dispatched };
    }
    const p = await this.compute(c, t);
    const changed = changedSince(c.lastPlan, p);
    const explanations = new Map([...p.decisions].map(([cid, d]) => [cid, explainDecision(d, p.first, this.d.judgement.pressurePolicy.timeZone)]));
    const approved = await this.d.db.transaction(async (tx) => {
      if (!(await repo.markApproved(tx, id, t))) return false;
      await repo.insertPlanRows(tx, id, p.decisions, explanations, p.batches, t);
      return true;
    });
    if (approved) {
      await repo.saveLastPlan(this.d.db, id, p.summary, t);
      await this.recordDenials(id, c.category, p, t);
      this.d.log.info({ campaignId: id, admitted: p.summary.admitted, batches: p.batches.length, changed }, 'campaign approved');
    }
    const dispatched = await this.dispatch(now, id);
    return { approved, summary: approved ? p.summary : (await this.get(id))!.lastPlan!, changed, dispatched };
  }

  /** Prevented touches, once per (campaign, customer): the digest's "over-contact prevented". */
  private async recordDenials(id: number, category: 'marketing' | 'care', p: Plan, t: number): Promise<void> {
    const denied = [...p.decisions].flatMap(([externalUserId, d]) => {
      if (d.kind !== 'excluded' || d.reason === 'SCHEDULE_FULL') return [];
      const reasons = d.reasons.filter((r): r is ReasonCode => r !== 'SCHEDULE_FULL');
      return [{ externalUserId, reasons, nextAllowedAt: d.nextAllowedAt === null ? null : new Date(d.nextAllowedAt) }];
    });
    await this.d.judgement.pressure.recordDenials(denied, category, new Date(t), { kind: 'campaign', id: String(id) });
  }

  /**
   * Sends each due batch: its customers judged at `now` (left out, with the reason, if they no
   * longer pass), then one outbox intent in the transaction that marks the batch dispatched.
   */
  async dispatch(now: Date, onlyCampaign?: number): Promise<number> {
    const t = now.getTime();
    let dispatched = 0;
    for (const b of await repo.findDueBatches(this.d.db, t)) {
      if (onlyCampaign !== undefined && b.campaignId !== onlyCampaign) continue;
      const c = (await this.get(b.campaignId))!;
      const ids = await repo.findBatchRecipients(this.d.db, b.campaignId, b.no);
      const verdict = await this.d.judgement.pressure.evaluateAudience(ids, campaignRequest(c.category), now, { kind: 'campaign', id: String(c.id) });
      const zone = this.d.judgement.pressurePolicy.timeZone;
      const left = verdict.denied.map((d) => {
        const reasons = orderReasons(d.reasons);
        return { id: d.externalUserId, reason: reasons[0], explanation: explainDecision({ kind: 'excluded', reason: reasons[0], reasons, nextAllowedAt: d.nextAllowedAt?.getTime() ?? null, route: null }, t, zone) };
      });
      // Library images and files become WeCom media_ids before the intent is written (no WeCom
      // call inside the transaction); an upload that fails leaves the batch for the next run.
      let attachments: MsgAttachment[] | undefined;
      try {
        attachments = verdict.allowed.length ? await resolveAttachments(c.content.attachments, this.library) : undefined;
      } catch (err) {
        this.d.log.warn({ campaignId: c.id, batch: b.no, err: (err as Error).message }, 'campaign batch waits: its attachments could not be uploaded to WeCom');
        continue;
      }
      const done = await this.d.db.transaction(async (tx) => {
        if (!verdict.allowed.length) {
          if (!(await repo.markDispatched(tx, b.campaignId, b.no, null, t, 'every customer was re-decided out before sending'))) return false;
          await repo.excludeRecipients(tx, b.campaignId, left, t);
          return true;
        }
        const { intent } = await enqueue(tx, {
          kind: 'mass_task', chatType: 'single', sender: b.sender, externalUserIds: verdict.allowed,
          text: c.content.text, attachments,
          touch: { category: c.category, source: 'campaign' },
          key: `campaign:${c.id}:batch:${b.no}`, dueAt: b.sendAt, expiresAt: Date.parse(c.schedule.end), origin: 'campaign',
        }, t);
        if (!(await repo.markDispatched(tx, b.campaignId, b.no, intent.id, t))) return false;
        await repo.excludeRecipients(tx, b.campaignId, left, t);
        await this.d.hooks?.afterEnqueue?.(b.campaignId, b.no);
        return true;
      });
      if (done) {
        dispatched++;
        this.d.log.info({ campaignId: c.id, batch: b.no, sender: b.sender, customers: verdict.allowed.length, reDecidedOut: left.length }, 'campaign batch dispatched');
      }
    }
    return dispatched;
  }

  /**
   * Reads WeCom's task state and per-customer results (reads only; the outbox created the task)
   * for every dispatched batch, until final: the member sent it, the outbox gave up polling, or
   * it failed. A cancelled campaign's created tasks are cancelled in WeCom here.
   */
  async track(now: Date): Promise<{ polled: number; finished: number }> {
    const t = now.getTime();
    let polled = 0;
    let finished = 0;
    for (const b of await repo.findDispatchedBatches(this.d.db)) {
      const intent = b.outboxId === null ? null : await this.outbox.get(b.outboxId);
      if (!intent) continue;
      const c = (await this.get(b.campaignId))!;
      if (intent.status === 'failed' || intent.status === 'unknown' || (intent.status === 'skipped' && !intent.wecomMsgId)) {
        await repo.updateBatch(this.d.db, b, { status: 'failed', note: intent.reason ?? intent.status }, t);
        await repo.setResults(this.d.db, b.campaignId, (await repo.findBatchRecipients(this.d.db, b.campaignId, b.no)).map((id) => ({ id, result: 'not_sent' as const, at: null })), t);
        finished++;
        continue;
      }
      if (!intent.wecomMsgId) continue;
      if (c.status === 'cancelled') {
        await this.cancelTask(b, intent.wecomMsgId, t);
        finished++;
        continue;
      }
      polled++;
      let taskStatus = b.taskStatus;
      for await (const task of this.d.wecom.iterateGroupMsgTasks(intent.wecomMsgId)) if (task.userId === b.sender) taskStatus = task.status;
      const results: { id: string; result: RecipientResult; at: number | null }[] = [];
      const seen = new Set<string>();
      for await (const r of this.d.wecom.iterateGroupMsgSendResults(intent.wecomMsgId, b.sender)) {
        if (!r.externalUserId) continue;
        seen.add(r.externalUserId);
        results.push({ id: r.externalUserId, result: RESULT_OF_STATUS[r.status] ?? 'not_sent', at: r.sendTime ?? null });
      }
      // WeCom's fail_list: filtered at creation (over the receiving quota, or no longer this member's customer).
      const failList = massTaskFailList(intent.wecomResult);
      for (const id of failList) if (!seen.has(id)) results.push({ id, result: 'over_quota', at: null });
      const final = taskStatus === 2 || intent.status === 'sent' || intent.status === 'skipped';
      if (final) {
        const pending = await repo.findBatchRecipients(this.d.db, b.campaignId, b.no);
        const reported = new Set(results.filter((r) => r.result !== 'pending').map((r) => r.id));
        for (const id of pending) if (!reported.has(id)) results.push({ id, result: 'not_sent', at: null });
      }
      await repo.setResults(this.d.db, b.campaignId, results.filter((r) => final || r.result !== 'pending').map((r) => (r.result === 'pending' ? { ...r, result: 'not_sent' as const } : r)), t);
      await repo.updateBatch(this.d.db, b, { msgId: intent.wecomMsgId, taskStatus, status: final ? 'done' : 'dispatched' }, t);
      if (final) finished++;
    }
    await this.finishCampaigns(t);
    return { polled, finished };
  }

  private async finishCampaigns(t: number): Promise<void> {
    for (const id of await repo.campaignsWithStatus(this.d.db, 'approved')) {
      const batches = await repo.findBatches(this.d.db, id);
      if (batches.every((b) => b.status === 'done' || b.status === 'failed' || b.status === 'cancelled')) await repo.markCampaign(this.d.db, id, 'done', t);
    }
  }

  /**
   * Reminds each member whose task is still unsent, at most 3 times per 24 h per task (WeCom's
   * limit); says who was reminded and who was not and why.
   */
  async remind(id: number, now: Date): Promise<{ reminded: string[]; skipped: { sender: string; why: string }[] }> {
    await this.require(id);
    const t = now.getTime();
    const reminded: string[] = [];
    const skipped: { sender: string; why: string }[] = [];
    for (const b of await repo.findBatches(this.d.db, id)) {
      if (b.status !== 'dispatched') continue;
      const intent = b.outboxId === null ? null : await this.outbox.get(b.outboxId);
      const msgId = b.msgId ?? intent?.wecomMsgId ?? null;
      if (!msgId) {
        skipped.push({ sender: b.sender, why: `第 ${b.no} 批：企业微信还没有创建这个群发任务，稍后再提醒` });
        continue;
      }
      if (b.taskStatus === 2) continue;
      const recent = b.remindedAt.filter((at) => at > t - DAY);
      if (recent.length >= MAX_REMINDERS_PER_DAY) {
        const next = DateTime.fromMillis(recent[0] + DAY, { zone: this.d.judgement.pressurePolicy.timeZone }).toFormat('yyyy-MM-dd HH:mm');
        skipped.push({ sender: b.sender, why: `第 ${b.no} 批：24 小时内已提醒 ${recent.length} 次（企业微信最多允许 ${MAX_REMINDERS_PER_DAY} 次），${next} 之后才能再提醒` });
        continue;
      }
      await this.d.wecom.remindGroupMsgSend(msgId);
      await repo.updateBatch(this.d.db, b, { msgId, remindedAt: [...recent, t] }, t);
      reminded.push(b.sender);
    }
    return { reminded, skipped };
  }

  /** Cancels: unsent batches never go; tasks already in WeCom are cancelled there (cancel_groupmsg_send). */
  async cancel(id: number, now: Date): Promise<{ cancelled: boolean; batchesStopped: number; tasksCancelled: number }> {
    const c = await this.require(id);
    const t = now.getTime();
    if (c.status === 'done') throw new AppError('CAMPAIGN_DONE', `活动 ${id} 已经发送完毕，没有可以取消的内容`, { status: 409 });
    const cancelled = await repo.markCampaign(this.d.db, id, 'cancelled', t);
    const batches = await repo.findBatches(this.d.db, id);
    const planned = batches.filter((b) => b.status === 'planned').map((b) => b.no);
    await this.d.db.transaction((tx) => repo.cancelPending(tx, id, planned, t));
    let tasksCancelled = 0;
    for (const b of batches.filter((x) => x.status === 'dispatched')) {
      const intent = b.outboxId === null ? null : await this.outbox.get(b.outboxId);
      if (intent?.wecomMsgId) {
        await this.cancelTask(b, intent.wecomMsgId, t);
        tasksCancelled++;
      }
      // A batch whose task is not created yet is cancelled by track() once WeCom has its msgid.
    }
    this.d.log.info({ campaignId: id, planned: planned.length, tasksCancelled }, 'campaign cancelled');
    return { cancelled, batchesStopped: planned.length, tasksCancelled };
  }

  private async cancelTask(b: repo.BatchRow, msgId: string, t: number): Promise<void> {
    await this.d.wecom.cancelGroupMsgSend(msgId);
    // What the member sent before the cancel stays sent; read it once more, then cancel the rest.
    const results: { id: string; result: RecipientResult; at: number | null }[] = [];
    for await (const r of this.d.wecom.iterateGroupMsgSendResults(msgId, b.sender)) {
      if (r.externalUserId && r.status !== 0) results.push({ id: r.externalUserId, result: RESULT_OF_STATUS[r.status] ?? 'not_sent', at: r.sendTime ?? null });
    }
    await repo.setResults(this.d.db, b.campaignId, results, t);
    await this.d.db.transaction((tx) => repo.cancelPending(tx, b.campaignId, [b.no], t));
  }

  async status(id: number): Promise<{ campaign: Campaign & { lastPlan: PlanSummary | null }; results: Record<string, number>; batches: repo.BatchRow[] }> {
    const campaign = await this.require(id);
    return { campaign, results: await repo.countResults(this.d.db, id), batches: await repo.findBatches(this.d.db, id) };
  }

  recipient(id: number, externalUserId: string) {
    return repo.findRecipient(this.d.db, id, externalUserId);
  }
}

/**
 * How far the counts moved since the last stored plan: a lower bound on the customers the approval
 * re-decided (only the summary of an earlier plan is kept, not each decision).
 */
function changedSince(last: PlanSummary | null, p: Plan): number {
  if (!last) return 0;
  const now = p.summary;
  const keys = new Set([...Object.keys(last.excluded), ...Object.keys(now.excluded)]);
  let diff = Math.abs(last.admitted - now.admitted);
  for (const k of keys) diff += Math.abs((last.excluded[k as keyof typeof last.excluded] ?? 0) - (now.excluded[k as keyof typeof now.excluded] ?? 0));
  return diff;
}

export function campaignService(s: Services, hooks?: CampaignHooks): CampaignService {
  return new CampaignService({ db: s.db, clock: s.clock, log: s.log, judgement: s.judgement, wecom: s.wecom, hooks });
}

/** Dispatches due batches and tracks results; idempotent, so every 5 minutes is safe on any instance. */
export const campaignsJob: Job = {
  name: 'campaigns',
  description: 'send campaign batches whose time has come (customers judged again first) and read WeCom\'s results',
  schedule: '*/5 * * * *',
  async run(ctx) {
    const sut = campaignService(ctx.services);
    const dispatched = await sut.dispatch(ctx.now);
    const { polled, finished } = await sut.track(ctx.now);
    return { dispatched, polled, finished };
  },
};
