import { DateTime } from 'luxon';
import type { Clock } from '../clock';
import type { Database } from '../db/database';
import { AppError } from '../errors';
import { issuesText } from '../issue-text';
import type { Job } from '../jobs/job';
import type { Log } from '../log';
import { massTaskFailList } from '../outbox/mass-task-result';
import { OutboxRepository } from '../outbox/repository';
import { enqueue } from '../outbox/service';
import type { OutboxIntent } from '../outbox/types';
import type { PressurePolicy } from '../pressure';
import type { Services } from '../services';
import type { WecomClient } from '../wecom/client';
import type { MsgAttachment } from '../wecom/requests';
import { occurrencesBetween, scheduleBounds } from './calendar';
import { parsePostsCsv } from './csv';
import { explainDecision, planOccurrences, type PlanOccurrence } from './plan';
import { checkMaterials, resolveAttachments } from '../campaigns/media';
import { MaterialLibrary } from '../materials/service';
import * as repo from './repository';
import { NewPostSchema, type GroupDecision, type GroupLabel, type NewPost, type Post, type SendStatus } from './types';

/**
 * Scheduled content for customer groups, end to end: posts and series are stored (API, CSV);
 * when an occurrence comes due it is decided once for every group the target selects then (send
 * on time, moved within the post's limit, or skipped — each with its reason), in one
 * transaction that also moves the post's `decided_through`; each due (post, occurrence, owner,
 * send time) becomes one add_msg_template intent (chat_type group, chat_id_list, sender = the
 * owner) in the transaction that marks its rows dispatched; WeCom's per-group results are read
 * until final.
 *
 * Promises: one (post, occurrence, owner, send time) is one outbox key, and the rows move
 * planned→dispatched in the same transaction as the enqueue, so a crash or a second instance
 * never makes a second WeCom task; deciders are serialised on the posts' rows, so two instances
 * never both admit a post the group's caps allow only once; nothing here calls a sending verb of
 * the WeCom client (the outbox does).
 */

export interface GroupContentHooks {
  /** Inside a dispatch transaction, after the intent is written (crash tests). */
  afterEnqueue?: (key: string) => Promise<void> | void;
}

export interface GroupContentDeps {
  db: Database;
  clock: Clock;
  log: Log;
  wecom: WecomClient;
  policy: PressurePolicy;
  /** FENCUN_TIMEZONE: series are local to it. */
  timeZone: string;
  hooks?: GroupContentHooks;
}

const HOUR = 3_600_000;
/** WeCom takes at most 2000 groups in one task's chat_id_list (wecom/API.md section 5). */
export const MAX_CHATS_PER_TASK = 2000;

const RESULT_OF_STATUS: Record<number, SendStatus> = { 1: 'sent', 2: 'group_gone', 3: 'over_quota' };

class RolledBack extends Error {}

/** One send on the calendar; `groupName`/`ownerName` (GroupLabel) so operators never have to read a chat id. */
export interface PreviewRow extends GroupLabel {
  postId: number;
  name: string;
  occurrenceAt: number;
  chatId: string;
  owner: string | null;
  decision: GroupDecision['kind'];
  at: number | null;
  reason: string | null;
  explanation: string;
  /** Stored once decided (planned, dispatched, a result); 'preview' for what is not decided yet. */
  status: SendStatus | 'preview';
}

export class GroupContentService {
  private readonly outbox: OutboxRepository;

  private readonly library: MaterialLibrary;

  constructor(private readonly d: GroupContentDeps) {
    this.outbox = new OutboxRepository(d.db);
    this.library = new MaterialLibrary({ db: d.db, clock: d.clock, log: d.log, wecom: d.wecom });
  }

  // ---- posts ---------------------------------------------------------------------------------

  /** Checks a post; a post whose last time has passed at `now` is refused. */
  private check(input: unknown, now: number): { post: NewPost; first: number; last: number } {
    const r = NewPostSchema.safeParse(input);
    if (!r.success) {
      throw new AppError('GROUP_POST_INVALID', `群内容没有保存，请改正后再提交：${issuesText(r.error.issues, { root: '群内容', input })}`, { status: 400 });
    }
    const b = scheduleBounds(r.data.schedule, this.d.timeZone);
    if (!b) throw new AppError('GROUP_POST_INVALID', '群内容没有保存：schedule.series 在 from 和 until 之间一天也没有，请检查 days 和日期', { status: 400 });
    if (b.last < now) {
      const last = DateTime.fromMillis(b.last, { zone: this.d.timeZone }).toFormat('yyyy-MM-dd HH:mm');
      throw new AppError('GROUP_POST_INVALID', `群内容没有保存：发送时间已经过去（最后一次是 ${last}），请改成以后的时间`, { status: 400 });
    }
    return { post: r.data, ...b };
  }

  async create(input: unknown, now: Date, source = 'api'): Promise<Post> {
    const t = now.getTime();
    const c = this.check(input, t);
    await checkMaterials(c.post.content.attachments, this.library, 'GROUP_POST_INVALID');
    const id = await this.d.db.transaction((tx) => repo.insertPost(tx, c.post, { first: c.first, last: c.last, source, now: t }));
    this.d.log.info({ groupPostId: id, name: c.post.name }, 'group post created');
    return (await repo.findPost(this.d.db, id))!;
  }

  /** A CSV of posts: every row checked first; all stored in one transaction, or none. */
  async importCsv(text: string, now: Date, source: string): Promise<Post[]> {
    const t = now.getTime();
    const posts = parsePostsCsv(text, { timeZone: this.d.timeZone, now: t });
    const checked = posts.map((p) => this.check(p, t));
    for (const c of checked) await checkMaterials(c.post.content.attachments, this.library, 'GROUP_POST_INVALID');
    const ids = await this.d.db.transaction(async (tx) => {
      const out: number[] = [];
      for (const c of checked) out.push(await repo.insertPost(tx, c.post, { first: c.first, last: c.last, source, now: t }));
      return out;
    });
    this.d.log.info({ posts: ids.length, source }, 'group posts imported');
    return Promise.all(ids.map(async (id) => (await repo.findPost(this.d.db, id))!));
  }

  async require(id: number): Promise<Post> {
    const p = Number.isSafeInteger(id) && id > 0 ? await repo.findPost(this.d.db, id) : null;
    if (!p) throw new AppError('GROUP_POST_NOT_FOUND', `没有编号为 ${id} 的群内容，请在群内容日历里查看（命令行：npx fencun group-content list）`, { status: 404 });
    return p;
  }

  async status(id: number): Promise<{ post: Post; results: Record<string, number>; sends: repo.NamedSendRow[] }> {
    const post = await this.require(id);
    return { post, results: await repo.countResults(this.d.db, id), sends: await repo.findSends(this.d.db, { postId: id }) };
  }

  /**
   * The calendar between `from` and `to`: what is decided is shown as stored; what is not yet
   * decided is previewed with the same plan the job will run (as if nothing else changes).
   */
  async list(o: { from: number; to: number; now: Date }): Promise<PreviewRow[]> {
    const now = o.now.getTime();
    const posts = await repo.findPostsBetween(this.d.db, o.from, o.to);
    const names = new Map(posts.map((p) => [p.id, p.name]));
    const stored = (await repo.findSends(this.d.db, { from: o.from, to: o.to })).filter((s) => names.has(s.postId));
    const rows: PreviewRow[] = stored.map((s) => ({
      postId: s.postId, name: names.get(s.postId)!, occurrenceAt: s.occurrenceAt, chatId: s.chatId, groupName: s.groupName, owner: s.owner, ownerName: s.ownerName,
      decision: s.decision, at: s.plannedAt, reason: s.reason, explanation: s.explanation, status: s.status,
    }));
    const pending = posts.filter((p) => p.status === 'active');
    const occurrences = await this.occurrencesToDecide(pending, (p) => Math.max(o.from, p.decidedThrough === null ? p.createdAt : p.decidedThrough + 1), o.to);
    const planned = await this.plan(this.d.db, occurrences, now);
    // One batched read for the previewed groups' names (the owner previewed is the group's current one).
    const labels = await repo.findGroupLabels(this.d.db, planned.flatMap((occ) => occ.decisions.map((d) => d.chatId)));
    for (const occ of planned) {
      for (const d of occ.decisions) {
        // A dismissed group named by chat id keeps its name but has no owner to send it.
        const label = labels.get(d.chatId);
        rows.push({ postId: occ.postId, name: names.get(occ.postId)!, occurrenceAt: occ.occurrenceAt, chatId: d.chatId, groupName: label?.groupName ?? null,
          owner: d.owner, ownerName: d.owner ? label?.ownerName ?? null : null, decision: d.kind,
          at: d.kind === 'skipped' ? null : d.at, reason: d.kind === 'send' ? null : d.reason, explanation: explainDecision(d, occ.occurrenceAt, this.d.timeZone), status: 'preview' });
      }
    }
    return rows.sort((a, b) => a.occurrenceAt - b.occurrenceAt || a.postId - b.postId || (a.chatId < b.chatId ? -1 : 1));
  }

  /** Cancels: nothing not yet handed to the outbox goes; tasks already in WeCom are cancelled there by the next track. */
  async cancel(id: number, now: Date): Promise<{ cancelled: boolean; sendsStopped: number; tasksCancelled: number }> {
    const p = await this.require(id);
    const t = now.getTime();
    if (p.status === 'done' && (await repo.findSends(this.d.db, { postId: id })).every((s) => s.status !== 'planned' && s.status !== 'dispatched')) {
      throw new AppError('GROUP_POST_DONE', `群内容 ${id} 已经发送完毕，没有可以取消的内容`, { status: 409 });
    }
    const cancelled = p.status === 'cancelled' ? false : await this.d.db.exec(
      "UPDATE group_posts SET status = 'cancelled', cancelled_at = ?, updated_at = ? WHERE id = ? AND status <> 'cancelled'", [t, t, id]) === 1;
    const sendsStopped = await this.d.db.transaction((tx) => repo.cancelPlanned(tx, id, t));
    const tasksCancelled = await this.cancelTasks(id, t);
    this.d.log.info({ groupPostId: id, sendsStopped, tasksCancelled }, 'group post cancelled');
    return { cancelled, sendsStopped, tasksCancelled };
  }

  // ---- the job: decide, dispatch, track ------------------------------------------------------

  async run(now: Date): Promise<{ decided: number; dispatched: number; tracked: number; finished: number }> {
    const decided = await this.decide(now);
    const dispatched = await this.dispatch(now);
    const { tracked, finished } = await this.track(now);
    return { decided, dispatched, tracked, finished };
  }

  /** The target's groups now, and the chat ids it names that Fencun does not know as active groups. */
  private async resolve(db: Database | Parameters<typeof repo.findGroups>[0], p: Post): Promise<{ groups: repo.GroupCandidate[]; missing: string[] }> {
    const pattern = p.target.namePattern ? globToRegExp(p.target.namePattern) : null;
    const groups = (await repo.findGroups(db, p.target)).filter((g) => !pattern || pattern.test(g.name));
    let missing: string[] = [];
    if (p.target.chatIds) {
      const known = new Set((await repo.findGroups(db, { chatIds: p.target.chatIds })).map((g) => g.chatId));
      missing = p.target.chatIds.filter((c) => !known.has(c));
    }
    return { groups, missing: [...new Set(missing)] };
  }

  private async occurrencesToDecide(posts: Post[], fromOf: (p: Post) => number, to: number, db: Parameters<typeof repo.findGroups>[0] = this.d.db): Promise<PlanOccurrence[]> {
    const out: PlanOccurrence[] = [];
    for (const p of posts) {
      const ats = occurrencesBetween(p.schedule, this.d.timeZone, fromOf(p), to);
      if (!ats.length) continue;
      const { groups, missing } = await this.resolve(db, p);
      for (const at of ats) out.push({ postId: p.id, at, moveWithinMs: p.moveWithinHours * HOUR, groups, missing });
    }
    return out;
  }

  private async plan(db: Parameters<typeof repo.loadGroupStates>[0], occurrences: PlanOccurrence[], now: number) {
    const chatIds = [...new Set(occurrences.flatMap((o) => o.groups.map((g) => g.chatId)))];
    const states = await repo.loadGroupStates(db, chatIds, now);
    return planOccurrences({ occurrences, states, policy: this.d.policy, now });
  }

  /**
   * Decides every occurrence due by `now`: one transaction, with the active posts locked, so a
   * second instance waits and then finds them decided (decided_through) and the groups' new
   * posts counted.
   */
  async decide(now: Date): Promise<number> {
    const t = now.getTime();
    return this.d.db.transaction(async (tx) => {
      const posts = await repo.lockDuePosts(tx, t);
      if (!posts.length) return 0;
      const fromOf = (p: Post) => (p.decidedThrough === null ? p.createdAt : p.decidedThrough + 1);
      const occurrences = await this.occurrencesToDecide(posts, fromOf, t + 1, tx);
      const planned = await this.plan(tx, occurrences, t);
      let decided = 0;
      for (const occ of planned) {
        await repo.insertDecisions(tx, occ.postId, occ.occurrenceAt,
          occ.decisions.map((d) => ({ d, explanation: explainDecision(d, occ.occurrenceAt, this.d.timeZone) })), t);
        decided += occ.decisions.length;
        for (const d of occ.decisions) if (d.kind !== 'send') this.d.log.info({ groupPostId: occ.postId, chatId: d.chatId, decision: d.kind, reason: d.reason }, `group post ${d.kind}`);
      }
      for (const p of posts) {
        // Nothing new since the last decider (same instant): no write, and none to guard.
        if (p.decidedThrough !== null && p.decidedThrough >= Math.min(t, p.lastAt) && t < p.lastAt) continue;
        if (!(await repo.advanceDecided(tx, p.id, p.decidedThrough, Math.min(t, p.lastAt), t >= p.lastAt, t))) {
          throw new Error(`group post ${p.id} was decided by another instance meanwhile`);
        }
      }
      return decided;
    });
  }

  /**
   * Hands each due (post, occurrence, owner, send time) to the outbox: one add_msg_template
   * intent for the owner's groups, in the transaction that marks the rows dispatched.
   */
  async dispatch(now: Date): Promise<number> {
    const t = now.getTime();
    const due = await repo.findDuePlanned(this.d.db, t);
    const units = new Map<string, repo.SendRow[]>();
    for (const r of due) {
      const k = `${r.postId}|${r.occurrenceAt}|${r.owner}|${r.plannedAt}`;
      (units.get(k) ?? units.set(k, []).get(k)!).push(r);
    }
    const posts = new Map<number, Post>();
    let dispatched = 0;
    for (const rows of units.values()) {
      const first = rows[0];
      const post = posts.get(first.postId) ?? (await repo.findPost(this.d.db, first.postId))!;
      posts.set(post.id, post);
      const plannedAt = first.plannedAt!;
      const limit = post.moveWithinHours * HOUR;
      if (t - plannedAt > Math.max(limit, HOUR)) {
        await this.d.db.transaction((tx) => repo.markSkipped(tx, rows.map((r) => r.id), 'TOO_LATE',
          `skipped: due at ${new Date(plannedAt).toISOString()} but Fencun only got to it at ${new Date(t).toISOString()}, later than the post may be moved`, t));
        continue;
      }
      // Library images and files become WeCom media_ids first (never inside the transaction);
      // a failed upload leaves these rows planned for the next run.
      let attachments: MsgAttachment[] | undefined;
      try {
        attachments = await resolveAttachments(post.content.attachments, this.library);
      } catch (err) {
        this.d.log.warn({ groupPostId: post.id, err: (err as Error).message }, 'group post waits: its attachments could not be uploaded to WeCom');
        continue;
      }
      for (let part = 0; part * MAX_CHATS_PER_TASK < rows.length; part++) {
        const chunk = rows.slice(part * MAX_CHATS_PER_TASK, (part + 1) * MAX_CHATS_PER_TASK);
        const key = outboxKey(first, part);
        try {
          const done = await this.d.db.transaction(async (tx) => {
            const { intent, created } = await enqueue(tx, {
              kind: 'mass_task', chatType: 'group', sender: first.owner!, chatIds: chunk.map((r) => r.chatId),
              text: post.content.text, attachments,
              key, dueAt: plannedAt, expiresAt: plannedAt + Math.max(limit, HOUR), origin: 'group-content',
            }, t);
            const n = await repo.markDispatched(tx, chunk.map((r) => r.id), intent.id, key, t);
            // Rows gone from planned (cancelled meanwhile) with a fresh intent: write nothing.
            if (n === 0 && created) throw new RolledBack();
            await this.d.hooks?.afterEnqueue?.(key);
            return n > 0;
          });
          if (done) dispatched++;
        } catch (err) {
          if (!(err instanceof RolledBack)) throw err;
        }
      }
    }
    return dispatched;
  }

  /** Reads WeCom's task state and per-group results (reads only) until final. */
  async track(now: Date): Promise<{ tracked: number; finished: number }> {
    const t = now.getTime();
    const byIntent = new Map<number, repo.SendRow[]>();
    for (const r of await repo.findDispatched(this.d.db)) (byIntent.get(r.outboxId!) ?? byIntent.set(r.outboxId!, []).get(r.outboxId!)!).push(r);
    let tracked = 0;
    let finished = 0;
    for (const [outboxId, rows] of byIntent) {
      const intent = await this.outbox.get(outboxId);
      if (!intent) continue;
      const post = await repo.findPost(this.d.db, rows[0].postId);
      if (intent.status === 'failed' || intent.status === 'unknown' || (intent.status === 'skipped' && !intent.wecomMsgId)) {
        for (const r of rows) await repo.setResult(this.d.db, r.id, { status: 'failed', note: `没有发出：${intent.reason ?? intent.status}` }, t);
        finished++;
        continue;
      }
      if (!intent.wecomMsgId) continue;
      if (post?.status === 'cancelled') {
        await this.cancelTask(intent, rows, t);
        finished++;
        continue;
      }
      tracked++;
      if (await this.readResults(intent, rows, t)) finished++;
    }
    return { tracked, finished };
  }

  /** Applies WeCom's report to the rows of one task; true when every row is final. */
  private async readResults(intent: OutboxIntent, rows: repo.SendRow[], t: number): Promise<boolean> {
    const msgId = intent.wecomMsgId!;
    const owner = rows[0].owner!;
    let taskStatus = 0;
    for await (const task of this.d.wecom.iterateGroupMsgTasks(msgId)) if (task.userId === owner) taskStatus = task.status;
    const results = new Map<string, { status: number; at: number | null }>();
    for await (const r of this.d.wecom.iterateGroupMsgSendResults(msgId, owner)) {
      if (r.chatId) results.set(r.chatId, { status: r.status, at: r.sendTime ?? null });
    }
    const failList = new Set(massTaskFailList(intent.wecomResult));
    const final = taskStatus === 2 || intent.status === 'sent' || intent.status === 'skipped';
    let open = 0;
    for (const r of rows) {
      const got = results.get(r.chatId);
      const status = got ? RESULT_OF_STATUS[got.status] : failList.has(r.chatId) ? 'over_quota' : undefined;
      if (status) await repo.setResult(this.d.db, r.id, { status, msgId, at: got?.at ?? null }, t);
      else if (final) await repo.setResult(this.d.db, r.id, { status: 'not_sent', msgId, note: `群主 ${owner} 没有在企业微信里确认发送` }, t);
      else {
        open++;
        await repo.setMsgId(this.d.db, r.id, msgId, t);
      }
    }
    return open === 0;
  }

  private async cancelTask(intent: OutboxIntent, rows: repo.SendRow[], t: number): Promise<void> {
    const msgId = intent.wecomMsgId!;
    await this.d.wecom.cancelGroupMsgSend(msgId);
    // What the owner sent before the cancel stays sent; the rest is cancelled.
    const results = new Map<string, { status: number; at: number | null }>();
    for await (const r of this.d.wecom.iterateGroupMsgSendResults(msgId, rows[0].owner!)) if (r.chatId) results.set(r.chatId, { status: r.status, at: r.sendTime ?? null });
    for (const r of rows) {
      const got = results.get(r.chatId);
      const status = got ? RESULT_OF_STATUS[got.status] : undefined;
      await repo.setResult(this.d.db, r.id, status ? { status, msgId, at: got!.at } : { status: 'cancelled', msgId }, t);
    }
  }

  private async cancelTasks(postId: number, t: number): Promise<number> {
    const rows = (await repo.findDispatched(this.d.db)).filter((r) => r.postId === postId);
    const byIntent = new Map<number, repo.SendRow[]>();
    for (const r of rows) (byIntent.get(r.outboxId!) ?? byIntent.set(r.outboxId!, []).get(r.outboxId!)!).push(r);
    let n = 0;
    for (const [id, part] of byIntent) {
      const intent = await this.outbox.get(id);
      // A task not created yet is cancelled by track() once WeCom has its msgid.
      if (!intent?.wecomMsgId) continue;
      await this.cancelTask(intent, part, t);
      n++;
    }
    return n;
  }
}

/**
 * The outbox key of one task: the post, the occurrence, the owner, and — when the post was moved
 * or decided late — the send time; a second part when the owner has over 2000 groups.
 */
function outboxKey(r: repo.SendRow, part: number): string {
  const at = r.plannedAt === r.occurrenceAt ? '' : `:at:${r.plannedAt}`;
  return `group-post:${r.postId}:${r.occurrenceAt}:${r.owner}${at}${part ? `:part:${part}` : ''}`;
}

/** "VIP*群" → /^VIP.*群$/i: * any run, ? one character, everything else literal. */
export function globToRegExp(pattern: string): RegExp {
  const body = [...pattern].map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 'iu');
}

export function groupContentService(s: Services, hooks?: GroupContentHooks): GroupContentService {
  return new GroupContentService({ db: s.db, clock: s.clock, log: s.log, wecom: s.wecom, policy: s.judgement.pressurePolicy, timeZone: s.config.timezone, hooks });
}

/** Decides due posts, hands them to the outbox, reads results; idempotent, so every 5 minutes on any instance is safe. */
export const groupContentJob: Job = {
  name: 'group-content',
  description: 'turn due group posts into WeCom tasks for the group owners (caps, quiet hours and WeCom\'s group quota first) and read the results',
  schedule: '*/5 * * * *',
  async run(ctx) {
    return groupContentService(ctx.services).run(ctx.now);
  },
};
