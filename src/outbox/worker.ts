import type { Clock } from '../clock';
import type { Database, Sql } from '../db/database';
import { errorMessage } from '../errors';
import type { Log } from '../log';
import type { Metrics } from '../ops/metrics';
import { recordTouch } from '../touches/repository';
import { isWecomErrcode, type WecomClient } from '../wecom/client';
import {
  apiKeyOf, contentFingerprint, dayOf, Draw, drawsOf, duplicateCheckSeconds, endpointOf, failureSentence, freeAt, judgeFailure,
  OutboxConfig, paceLogHorizonMs, pauseMs, withinDuplicateWindow,
} from './policy';
import { LeaseHeartbeat, PollLoop } from './loop';
import type { Claimed, OutboxRepository, Outcome } from './repository';
import type { AppMessageIntent, MassTaskIntent, OutboxIntent, WelcomeIntent } from './types';

export interface OutboxWorkerOptions {
  /** Names this process in lease_owner; each claim carries its own random token. */
  instanceId: string;
  /** How long a claim is held without renewal (a send's client timeout must fit well inside it). */
  leaseMs: number;
  /** Lease renewal period (default leaseMs / 3); 0: only when renewLeases() is called (tests). */
  heartbeatMs?: number;
  /** Intents of different senders sent side by side. */
  concurrency: number;
  idlePollMs: number;
  /** Due candidates read per claim (some may be paced out). */
  scan?: number;
}

export const defaultWorkerOptions: Omit<OutboxWorkerOptions, 'instanceId'> = { leaseMs: 60_000, concurrency: 4, idlePollMs: 500, scan: 200 };

/**
 * Test seams, never set in production (only tests construct a worker with hooks): points where a
 * test holds a send open or kills the process.
 */
export interface OutboxWorkerHooks {
  /** A claim is about to open its transaction. */
  beforeClaim?: () => Promise<void> | void;
  /** Inside the claim's transaction, under the claim lock, before admission reads the pace; then with what it admitted. */
  duringAdmit?: (phase: 'start' | 'end', admitted: OutboxIntent[]) => Promise<void> | void;
  /** Claimed, the attempt not yet marked. */
  beforeSend?: (intent: OutboxIntent) => Promise<void> | void;
  /** The attempt is marked (committed); the request has not left. */
  afterMark?: (intent: OutboxIntent) => Promise<void> | void;
  /** WeCom accepted the request; nothing recorded yet. */
  afterSend?: (intent: OutboxIntent) => Promise<void> | void;
}

export interface OutboxWorkerDeps {
  db: Database;
  repo: OutboxRepository;
  wecom: WecomClient;
  config: OutboxConfig;
  /** The corp's time zone: the rep's daily cap counts calendar days there. */
  timeZone: string;
  clock: Clock;
  log: Log;
  metrics: Metrics;
  hooks?: OutboxWorkerHooks;
  random?: () => number;
}

interface Run {
  claimed: Claimed;
  token: string;
  leaseUntil: number;
  lost: boolean;
  done: Promise<void>;
}

class LeaseLost extends Error {}

/**
 * Sends the outbox. Claims due intents in due order under the inbox's lease discipline (a token
 * per claim, renewed while the send runs; a stale token writes nothing), never claims what its
 * sender may not send yet (pacing), marks each attempt durably before the request leaves, and
 * resolves an attempt that may have reached WeCom before any resend. Several instances may run it
 * on one database.
 */
export class OutboxWorker {
  private readonly loop: PollLoop;
  private prunedAt = 0;
  private readonly inFlight = new Map<number, Run>();
  private readonly heartbeat: LeaseHeartbeat;
  private readonly random: () => number;

  constructor(private readonly d: OutboxWorkerDeps, private readonly opts: OutboxWorkerOptions) {
    this.random = d.random ?? Math.random;
    this.heartbeat = new LeaseHeartbeat(opts.heartbeatMs ?? Math.floor(opts.leaseMs / 3), () => this.renewLeases());
    this.loop = new PollLoop(() => this.step(), opts.idlePollMs,
      (err) => d.log.error({ err: errorMessage(err) }, 'outbox: could not claim intents (database unavailable?); retrying'));
  }

  start(): void {
    this.loop.start();
  }

  /** Stops claiming and lets the sends in flight finish. */
  async stop(): Promise<void> {
    await this.loop.stop();
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight.values()].map((r) => r.done));
  }

  wake(): void {
    this.loop.wake();
  }

  /** One pass of the background loop; true when more may be claimable at once. */
  private async step(): Promise<boolean> {
    // The pace log only serves the pacing windows; forget older draws about once an hour.
    if (this.now() - this.prunedAt >= 3_600_000) {
      this.prunedAt = this.now();
      await this.d.repo.prunePaceLog(this.prunedAt - paceLogHorizonMs());
    }
    const claimed = await this.fill();
    return claimed > 0 && this.inFlight.size < this.opts.concurrency;
  }

  /** Sends everything that may go now, slot by slot; returns how many claims ran (tests, CLI). */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      total += await this.fill();
      if (this.inFlight.size === 0) return total;
      await Promise.race([...this.inFlight.values()].map((r) => r.done));
    }
  }

  get inFlightIds(): number[] {
    return [...this.inFlight.keys()];
  }

  /** Renews the lease of every intent running here; a renewal the token lost marks the run lost. */
  async renewLeases(): Promise<void> {
    await Promise.all([...this.inFlight.values()].map(async (run) => {
      if (run.lost) return;
      const until = this.now() + this.opts.leaseMs;
      try {
        if (await this.d.repo.renewLease(run.claimed.intent.id, run.token, until)) run.leaseUntil = until;
        else run.lost = true;
      } catch (err) {
        if (this.now() >= run.leaseUntil) run.lost = true;
        this.d.log.warn({ outboxId: run.claimed.intent.id, err: errorMessage(err) }, 'outbox: could not renew a lease; will try again');
      }
    }));
  }

  private now(): number {
    return this.d.clock().getTime();
  }

  private async fill(): Promise<number> {
    const free = this.opts.concurrency - this.inFlight.size;
    if (free <= 0) return 0;
    await this.d.hooks?.beforeClaim?.();
    const claimed = await this.d.repo.claim({
      instanceId: this.opts.instanceId, now: this.now(), leaseMs: this.opts.leaseMs, limit: free, scan: this.opts.scan ?? 200,
      admit: (tx, candidates, now, limit) => this.admit(tx, candidates, now, limit),
    });
    for (const c of claimed) {
      const run: Run = { claimed: c, token: c.intent.leaseToken!, leaseUntil: c.intent.leaseUntil!, lost: false, done: Promise.resolve() };
      run.done = this.process(run).finally(() => {
        this.inFlight.delete(c.intent.id);
        if (this.inFlight.size === 0) this.heartbeat.stop();
        this.wake();
      });
      this.inFlight.set(c.intent.id, run);
    }
    if (claimed.length > 0) this.heartbeat.start();
    return claimed.length;
  }

  // ---- pacing (inside the claim's transaction, under the claim lock) ---------------------------

  /**
   * Which candidates (due order, one per sender) may be sent now. A candidate over one of its
   * limits is not claimed, and its key gets a not-before when the window frees a slot, so the next
   * claims skip it in SQL. A rep over the daily cap has the message moved to the next corp day.
   * What is admitted is logged as a draw at `now` (the windows count calls); the daily cap counts
   * intents instead (repo.countDailyCap): a message retried after a failure is one message to the
   * rep, and one WeCom refused is none.
   */
  private async admit(tx: Sql, candidates: OutboxIntent[], now: number, limit: number): Promise<OutboxIntent[]> {
    if (candidates.length === 0 || limit < 1) return [];
    await this.d.hooks?.duringAdmit?.('start', []);
    const c = this.d.config;
    const draws = new Map(candidates.map((i) => [i.id, drawsOf(i.body, c)]));
    const windows = new Map<number, Set<string>>();
    for (const list of draws.values()) for (const dr of list) (windows.get(dr.windowMs) ?? windows.set(dr.windowMs, new Set()).get(dr.windowMs)!).add(dr.key);
    const counts = new Map<string, number>();
    for (const [windowMs, keys] of windows) {
      const n = await this.d.repo.countDraws(tx, [...keys], now - windowMs - c.pacing.marginMs);
      for (const [k, v] of n) counts.set(`${k}|${windowMs}`, v);
    }
    const day = dayOf(now, this.d.timeZone);
    // Only app messages to the rep (pace key member:<id>) count and are capped; mass tasks and
    // welcomes have pace keys of their own (sender:, welcome:) and never counted. A candidate in
    // doubt is exempt: its earlier attempt already counts (a pending intent with doubt_since).
    const capped = candidates.filter((i) => i.kind === 'app_message' && i.doubtSince === null);
    const today = await this.d.repo.countDailyCap(tx, [...new Set(capped.map((i) => i.paceKey))], day.start, day.end, capped.map((i) => i.id));
    const apiKeys = [...new Set(candidates.map((i) => apiKeyOf(i.kind)))];
    const notBefore = await this.d.repo.notBefore(tx, apiKeys);
    const taken = new Map<string, number>();
    const blocked = new Set<string>();
    const admitted: OutboxIntent[] = [];
    const log: { paceKey: string; at: number }[] = [];
    for (const i of candidates) {
      if (admitted.length >= limit) break;
      const api = apiKeyOf(i.kind);
      if ((notBefore.get(api) ?? 0) > now || blocked.has(api) || blocked.has(i.paceKey)) continue;
      const over = await this.firstOver(tx, draws.get(i.id)!, counts, taken, now);
      if (over) {
        blocked.add(over.draw.key);
        await this.d.repo.pause(tx, over.draw.key, over.until, `paced: ${over.draw.label}`, now, false);
        continue;
      }
      if (i.kind === 'app_message' && i.doubtSince === null) {
        const sentToday = (today.get(i.paceKey) ?? 0) + (taken.get(`${i.paceKey}|day`) ?? 0);
        if (sentToday >= c.repDailyCap) {
          const next = dayOf(day.end, this.d.timeZone);
          await this.d.repo.defer(tx, i.id, next.start,
            `deferred to ${next.label}: ${(i.body as AppMessageIntent).toUser} already received ${sentToday} Fencun app messages on ${day.label} (repDailyCap ${c.repDailyCap})`, now);
          this.d.metrics.outboxOutcomes.inc({ kind: i.kind, outcome: 'deferred', errcode: 'none' });
          continue;
        }
        taken.set(`${i.paceKey}|day`, (taken.get(`${i.paceKey}|day`) ?? 0) + 1);
      }
      const keys = new Set<string>();
      for (const dr of draws.get(i.id)!) {
        const k = `${dr.key}|${dr.windowMs}`;
        taken.set(k, (taken.get(k) ?? 0) + 1);
        keys.add(dr.key);
      }
      for (const k of keys) log.push({ paceKey: k, at: now });
      admitted.push(i);
    }
    await this.d.repo.addPaceLog(tx, log);
    await this.d.hooks?.duringAdmit?.('end', admitted);
    return admitted;
  }

  private async firstOver(tx: Sql, list: Draw[], counts: Map<string, number>, taken: Map<string, number>, now: number): Promise<{ draw: Draw; until: number } | null> {
    const margin = this.d.config.pacing.marginMs;
    for (const dr of list) {
      const k = `${dr.key}|${dr.windowMs}`;
      const inBatch = taken.get(k) ?? 0;
      const n = (counts.get(k) ?? 0) + inBatch;
      if (n < dr.limit) continue;
      // The draw `limit` places back leaves the window first; this batch's draws are all at `now`.
      const nth = inBatch >= dr.limit ? now : await this.d.repo.nthNewestDraw(tx, dr.key, now - dr.windowMs - margin, dr.limit - inBatch);
      return { draw: dr, until: Math.max(now + 1, freeAt(n, dr.limit, nth, dr.windowMs, margin, now)) };
    }
    return null;
  }

  // ---- one claimed intent --------------------------------------------------------------------

  private async process(run: Run): Promise<void> {
    const { intent } = run.claimed;
    const log = this.d.log.child({ outboxId: intent.id, kind: intent.kind, key: intent.key });
    try {
      if (run.claimed.phase === 'poll') await this.poll(run, log);
      else await this.send(run, log);
    } catch (err) {
      if (err instanceof LeaseLost || run.lost) {
        log.warn('outbox: lease lost; another claim owns this intent, so this run records nothing');
        return;
      }
      log.error({ err: errorMessage(err) }, 'outbox: could not record an outcome; the intent is claimed again after its lease runs out');
    }
  }

  /** Writes an outcome only while this run's token owns the intent. */
  private async finish(run: Run, o: Outcome): Promise<void> {
    if (run.lost || !(await this.d.repo.finish(run.claimed.intent.id, run.token, o, this.now()))) throw new LeaseLost();
  }

  private async send(run: Run, log: Log): Promise<void> {
    const i = run.claimed.intent;
    const now = this.now();
    if (i.doubtSince === null && i.expiresAt !== null && now > i.expiresAt) {
      await this.finish(run, { status: 'skipped', reason: `expired: it had to go by ${new Date(i.expiresAt).toISOString()} and was claimed at ${new Date(now).toISOString()}`, done: true });
      this.count(i, 'skipped', null);
      return;
    }
    if (i.doubtSince !== null && (await this.resolveDoubt(run, log))) return;

    await this.d.hooks?.beforeSend?.(i);
    // Durable before the request leaves: a crash from here on leaves doubt_since for the next claim.
    const markedAt = this.now();
    if (run.lost || !(await this.d.repo.markAttempt(i.id, run.token, markedAt, markedAt + this.opts.leaseMs))) throw new LeaseLost();
    run.leaseUntil = markedAt + this.opts.leaseMs;
    await this.d.hooks?.afterMark?.(i);
    let outcome: Outcome;
    try {
      outcome = await this.deliver(i);
    } catch (err) {
      await this.failed(run, err, log);
      return;
    }
    await this.d.hooks?.afterSend?.(i);
    await this.finish(run, outcome);
    await this.d.repo.resetPauses([i.paceKey, apiKeyOf(i.kind)]);
    this.count(i, outcome.status, null);
    if (i.kind === 'welcome' && outcome.status === 'sent') await this.welcomeTouch(i);
    log.info({ status: outcome.status, msgid: outcome.wecomMsgId ?? undefined }, 'outbox: sent');
  }

  /** One request through the one WeCom client; the answer as an outcome. */
  private async deliver(i: OutboxIntent): Promise<Outcome> {
    const c = this.d.config;
    const now = () => this.now();
    switch (i.body.kind) {
      case 'app_message': {
        const b = i.body;
        // Always with WeCom's duplicate check over the whole retry horizon: a resend that resolves
        // an unanswered attempt is dropped by WeCom if that attempt was delivered.
        const r = await this.d.wecom.sendAppMessage({ ...b.message, toUser: [b.toUser], enableDuplicateCheck: true, duplicateCheckInterval: duplicateCheckSeconds(c) });
        return { status: 'sent', wecomMsgId: r.msgId ?? null, wecomResult: JSON.stringify({ invalidUser: r.invalidUser, unlicensedUser: r.unlicensedUser, responseCode: r.responseCode }), doubtSince: null, errcode: null, reason: null, transientFailures: 0, firstFailedAt: null, done: true };
      }
      case 'mass_task': {
        const b = i.body;
        const r = await this.d.wecom.addMsgTemplate({ chatType: b.chatType, sender: b.sender, externalUserIds: b.externalUserIds, chatIds: b.chatIds, text: b.text, attachments: b.attachments });
        return this.created(r.msgId, { failList: r.failList }, now());
      }
      case 'welcome': {
        const b = i.body;
        try {
          await this.d.wecom.sendWelcomeMsg({ welcomeCode: b.welcomeCode, text: b.text, attachments: b.attachments });
        } catch (err) {
          // 41051 after an attempt that may have reached WeCom: that attempt used the code.
          if (i.doubtSince !== null && isWecomErrcode(err, 41051)) {
            return { status: 'sent', reason: 'WeCom answered 41051 after an unanswered attempt: that attempt used the code', doubtSince: null, errcode: 41051, done: true };
          }
          throw err;
        }
        return { status: 'sent', doubtSince: null, errcode: null, reason: null, transientFailures: 0, firstFailedAt: null, done: true };
      }
      case 'robot': {
        const b = i.body;
        const key = c.robots[b.robot];
        if (!key) return { status: 'failed', doubtSince: null, reason: `no robot named "${b.robot}" in config/outbox.json (robots); add its webhook key, then run: npx fencun outbox retry ${i.id}`, done: true };
        await this.d.wecom.sendWebhook(key, b.message);
        return { status: 'sent', doubtSince: null, errcode: null, reason: null, transientFailures: 0, firstFailedAt: null, done: true };
      }
      case 'card_update': {
        const b = i.body;
        try {
          await this.d.wecom.updateTemplateCard({ ...b.update, userIds: [b.toUser] });
        } catch (err) {
          // A refusal after an unanswered attempt: that attempt most likely used the single-use
          // response_code (the card already shows the new state). Never resent again.
          const v = judgeFailure(err);
          if (i.doubtSince !== null && v.kind === 'failed') {
            return { status: 'skipped', doubtSince: null, errcode: v.errcode, done: true,
              reason: `WeCom refused the resend (${failureSentence(err)}) after an unanswered attempt at ${new Date(i.doubtSince).toISOString()}, which most likely used the single-use response_code; the reminders themselves are up to date in Fencun` };
          }
          throw err;
        }
        return { status: 'sent', doubtSince: null, errcode: null, reason: null, transientFailures: 0, firstFailedAt: null, done: true };
      }
    }
  }

  /** A mass task WeCom created: wait for the member to send it, then read the results. */
  private created(msgId: string, result: object, now: number): Outcome {
    return {
      status: 'awaiting', wecomMsgId: msgId, wecomResult: JSON.stringify(result), doubtSince: null, errcode: null, reason: null,
      transientFailures: 0, firstFailedAt: null, nextAttemptAt: now + this.d.config.massTaskPoll.everyMinutes * 60_000,
    };
  }

  /**
   * An earlier attempt may have reached WeCom. Returns true when this settles the intent without
   * a send; false when a send is safe (app message within WeCom's duplicate window, mass task not
   * found in WeCom, welcome: the code answers for itself).
   */
  private async resolveDoubt(run: Run, log: Log): Promise<boolean> {
    const i = run.claimed.intent;
    const now = this.now();
    const since = new Date(i.doubtSince!).toISOString();
    switch (i.body.kind) {
      case 'robot':
        await this.finish(run, {
          status: 'unknown', done: true,
          reason: `the robot post may have been delivered: an attempt at ${since} got no answer from WeCom, and a robot has no duplicate check, so it was not sent again. Check the group; to send it anyway run: npx fencun outbox retry ${i.id}`,
        });
        this.count(i, 'unknown', i.errcode);
        log.warn('outbox: robot post parked as unknown (never resent once it may have reached WeCom)');
        return true;
      case 'app_message':
        if (withinDuplicateWindow(i, now, this.d.config)) return false;
        await this.finish(run, {
          status: 'unknown', done: true,
          reason: `the app message may have been delivered: an attempt at ${since} got no answer, and WeCom's duplicate check (${duplicateCheckSeconds(this.d.config) / 60} min) no longer covers a resend. Ask ${(i.body as AppMessageIntent).toUser} whether it arrived; to send it anyway run: npx fencun outbox retry ${i.id}`,
        });
        this.count(i, 'unknown', i.errcode);
        return true;
      case 'mass_task': {
        const found = await this.findTask(i, i.body, now);
        if (!found) return false;
        await this.finish(run, { ...this.created(found, { resolvedBy: 'get_groupmsg_list_v2' }, now), reason: `found in WeCom after an unanswered attempt at ${since}; not created again` });
        this.count(i, 'awaiting', null);
        log.info({ msgid: found }, 'outbox: an unanswered add_msg_template was found in WeCom; not created again');
        return true;
      }
      case 'welcome':
      // Replacing a card with the same card twice shows the same thing; the code answers for itself.
      case 'card_update':
        return false;
    }
  }

  /**
   * The task an unanswered attempt may have created: same creator and chat type, created since
   * the first doubtful attempt (a minute's slack for the two clocks), same content (text and
   * attachments), and not already another intent's.
   */
  private async findTask(i: OutboxIntent, b: MassTaskIntent, now: number): Promise<string | null> {
    const want = contentFingerprint(b.text, b.attachments);
    for await (const m of this.d.wecom.iterateGroupMsgList({ chatType: b.chatType, creator: b.sender, filterType: 0, startTime: i.doubtSince! - 60_000, endTime: now + 60_000 })) {
      if (contentFingerprint(m.text, m.attachments) !== want) continue;
      if (await this.d.repo.msgIdOwnedByOther(m.msgId, i.id)) continue;
      return m.msgId;
    }
    return null;
  }

  private async failed(run: Run, err: unknown, log: Log): Promise<void> {
    const i = run.claimed.intent;
    const now = this.now();
    const v = judgeFailure(err);
    const message = errorMessage(err);
    if (v.kind === 'failed') {
      await this.finish(run, { status: 'failed', errcode: v.errcode, reason: v.reason, done: true, doubtSince: i.doubtSince });
      this.count(i, 'failed', v.errcode);
      log.error({ errcode: v.errcode, err: message }, `outbox: WeCom refused it; after fixing the cause run: npx fencun outbox retry ${i.id}`);
      return;
    }
    if (v.kind === 'unknown' && i.kind === 'robot') {
      await this.finish(run, {
        status: 'unknown', errcode: v.errcode, done: true,
        reason: `the robot post may have been delivered (${message}); a robot has no duplicate check, so it is not sent again. Check the group; to send it anyway run: npx fencun outbox retry ${i.id}`,
      });
      this.count(i, 'unknown', v.errcode);
      log.warn({ err: message }, 'outbox: robot post parked as unknown');
      return;
    }
    // WeCom-side trouble (45009, -1, timeouts, the connection): the sender and the endpoint rest,
    // the intent keeps its place in due order. An unanswered attempt keeps its doubt (resolved
    // on the next claim); a refused or unsent one goes back to what it was before this attempt.
    const firstFailedAt = i.firstFailedAt ?? now;
    const budget = this.d.config.failureBudgetHours * 3_600_000;
    if (now - firstFailedAt >= budget) {
      await this.finish(run, {
        status: v.kind === 'unknown' ? 'unknown' : 'failed', errcode: v.errcode, done: true,
        reason: `kept failing for ${this.d.config.failureBudgetHours} h (last: ${message}); run: npx fencun outbox retry ${i.id}`,
      });
      this.count(i, v.kind === 'unknown' ? 'unknown' : 'failed', v.errcode);
      return;
    }
    const pauses = await this.d.repo.pausesOf(i.paceKey);
    const until = now + pauseMs(pauses, v.kind === 'pause' ? v.retryAfterMs : null, this.d.config, this.random);
    const reason = v.kind === 'unknown'
      ? `WeCom did not say whether it was sent (${message}); resolved before any resend`
      : `${failureSentence(err)}; retrying after ${new Date(until).toISOString()}`;
    await this.finish(run, {
      status: 'pending', errcode: v.errcode, reason, doubtSince: v.kind === 'unknown' ? undefined : i.doubtSince,
      transientFailures: i.transientFailures + 1, firstFailedAt,
    });
    for (const key of [i.paceKey, apiKeyOf(i.kind)]) await this.d.repo.pause(this.d.db, key, until, `${endpointOf(i.kind)}: ${message}`, now, true);
    this.count(i, v.kind === 'unknown' ? 'outcome_unknown' : 'retry', v.errcode);
    log.warn({ errcode: v.errcode, until: new Date(until).toISOString(), err: message }, v.kind === 'unknown'
      ? 'outbox: WeCom did not answer; the attempt will be resolved before any resend'
      : 'outbox: WeCom is busy or rate-limiting; the sender waits and the intent keeps its place');
  }

  private count(i: OutboxIntent, outcome: string, errcode: number | null): void {
    this.d.metrics.outboxOutcomes.inc({ kind: i.kind, outcome, errcode: errcode === null ? 'none' : String(errcode) });
  }

  private async welcomeTouch(i: OutboxIntent): Promise<void> {
    const b = i.body as WelcomeIntent;
    const now = this.now();
    await recordTouch(this.d.db, { externalUserId: b.externalUserId, userId: b.userId, category: 'welcome', at: now, source: 'welcome', ref: b.welcomeCode }, now);
  }

  // ---- mass task results ----------------------------------------------------------------------

  /**
   * Reads what the member did with a created task: each customer the member sent it to becomes a
   * touch (at WeCom's send time, once per intent and customer). Sent when the member's task is
   * done; given up (skipped) when the poll horizon ends first.
   */
  private async poll(run: Run, log: Log): Promise<void> {
    const i = run.claimed.intent;
    const b = i.body as MassTaskIntent;
    const now = this.now();
    const msgId = i.wecomMsgId!;
    const counts = { sent: 0, unsent: 0, notFriend: 0, capped: 0 };
    let taskDone = false;
    try {
      for await (const t of this.d.wecom.iterateGroupMsgTasks(msgId)) if (t.userId === b.sender) taskDone = t.status === 2;
      for await (const r of this.d.wecom.iterateGroupMsgSendResults(msgId, b.sender)) {
        if (r.status === 1) {
          counts.sent++;
          if (b.touch && r.externalUserId) {
            await recordTouch(this.d.db, {
              externalUserId: r.externalUserId, userId: r.userId, category: b.touch.category, source: b.touch.source, ref: `outbox:${i.id}`,
              at: r.sendTime ?? now,
            }, now);
          }
        } else if (r.status === 0) counts.unsent++;
        else if (r.status === 2) counts.notFriend++;
        else counts.capped++;
      }
    } catch (err) {
      await this.finish(run, { status: 'awaiting', nextAttemptAt: now + this.d.config.massTaskPoll.everyMinutes * 60_000, reason: `could not read the results: ${errorMessage(err)}` });
      log.warn({ err: errorMessage(err) }, 'outbox: could not read a mass task\'s results; will poll again');
      return;
    }
    const prior = i.wecomResult ? (JSON.parse(i.wecomResult) as Record<string, unknown>) : {};
    const result = JSON.stringify({ ...prior, results: counts });
    const started = i.firstAttemptAt ?? i.createdAt;
    if (taskDone) {
      await this.finish(run, { status: 'sent', wecomResult: result, reason: null, done: true });
      this.count(i, 'sent', null);
      log.info(counts, 'outbox: the member sent the mass task');
    } else if (now - started >= this.d.config.massTaskPoll.forHours * 3_600_000) {
      await this.finish(run, { status: 'skipped', wecomResult: result, done: true,
        reason: `${b.sender} did not send the mass task within ${this.d.config.massTaskPoll.forHours} h; Fencun stopped polling (the task stays in WeCom)` });
      this.count(i, 'skipped', null);
    } else {
      await this.finish(run, { status: 'awaiting', wecomResult: result, nextAttemptAt: now + this.d.config.massTaskPoll.everyMinutes * 60_000 });
    }
  }
}

