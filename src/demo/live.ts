import { findContact } from '../contacts/repository';
import { findMember } from '../contacts/members';
import { assessCustomer, recommendNextAction } from '../judgement/next-action-service';
import type { JobRunner } from '../jobs/runner';
import { findJob } from '../jobs/registry';
import type { Services } from '../services';
import type { RunningSimulator } from '../wecom-simulator';
import { Random } from '../wecom-simulator/random';
import { postJson } from './post-json';
import { findCorpFollows, findWaitingCustomers } from './repository';

/**
 * The demo's live corp: besides WeCom's own events (the simulator's emitter), customers write
 * messages that need an answer, reps answer, orders arrive from the shop, and now and then a
 * customer complains. Each goes in through the door a real installation uses (callback, archive
 * API, orders API), and the demo prints what Fencun then did about that customer: re-tiered,
 * reminder created, suggestion changed.
 */

export interface LiveDeps {
  services: Services;
  jobs: JobRunner;
  url: string;
  apiToken: string;
  sim: RunningSimulator;
  /** Prefer this rep's customers half of the time, so the picker's first book stays lively. */
  showcaseRepId: string | null;
  say: (line: string) => void;
  seed?: number;
}

type LiveKind = 'wecom' | 'message' | 'reply' | 'order' | 'late_order' | 'complaint';

const ASKS = ['在吗？想问下那款精华还有货吗', '周六可以到店试一下吗', '上次买的面霜快用完了，再来一瓶', '有没有适合送长辈的礼盒', '这个和上次那款有什么区别'];
const COMPLAINTS = ['等了一周还没发货，我要投诉', '收到的东西有质量问题，要求退款', '说好的赠品没有，太差了'];
const PRODUCTS: [string, number][] = [['山茶花精华套装', 1680], ['玻尿酸精华液', 499], ['山茶花面霜礼盒', 1280], ['年度护肤套装', 3280], ['舒缓面膜（10片）', 169]];

export class LiveCorp {
  private readonly r: Random;
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private orderNo = 0;

  constructor(private readonly d: LiveDeps) {
    this.r = new Random(d.seed ?? Date.now());
  }

  start(everyMs: number): void {
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      this.tick().catch((err: Error) => this.d.say(`  (live event failed: ${err.message})`)).finally(() => (this.busy = false));
    }, everyMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One event and what Fencun did about it. */
  async tick(kind: LiveKind = this.r.weighted([['wecom', 30], ['message', 22], ['reply', 14], ['order', 18], ['late_order', 8], ['complaint', 8]] as const)): Promise<void> {
    if (kind === 'wecom') {
      const e = this.d.sim.emitter.emitOne();
      this.d.say(`  WeCom    → ${e.text}`);
      return;
    }
    if (kind === 'reply') {
      const waiting = await findWaitingCustomers(this.d.services.db, 20);
      if (waiting.length === 0) return this.tick('message');
      const w = this.r.pick(waiting);
      return this.about(w.externalUserId, w.userId, async (who, rep) => {
        await this.post('/api/archive/messages', [this.record(rep.userId, w.externalUserId, '您好，让您久等了，我这就帮您看')]);
        return `${rep.name} answered ${who} (archive)`;
      });
    }
    const f = await this.pickCustomer();
    if (!f) return;
    const t = this.d.services.clock().getTime();
    switch (kind) {
      case 'message':
        return this.about(f.externalUserId, f.userId, async (who, rep) => {
          const text = this.r.pick(ASKS);
          await this.post('/api/archive/messages', [this.record(f.externalUserId, rep.userId, text)]);
          return `${who} wrote to ${rep.name}: ${text} (archive)`;
        });
      case 'complaint':
        return this.about(f.externalUserId, f.userId, async (who, rep) => {
          const text = this.r.pick(COMPLAINTS);
          await this.post('/api/archive/messages', [this.record(f.externalUserId, rep.userId, text)]);
          const scan = await this.run('complaint-scan', new Date(t));
          return `${who} wrote to ${rep.name}: ${text} (archive)${Number(scan.suggested) > 0 ? ' — complaint suggested for the rep to confirm' : ''}`;
        });
      case 'order':
      case 'late_order': {
        const [product, amount] = this.r.pick(PRODUCTS);
        const paidAt = kind === 'order' ? t : t - 3 * 86_400_000 - 600_000;
        return this.about(f.externalUserId, f.userId, async (who) => {
          await this.post('/api/orders', { orders: [{ order_id: `LIVE-${t}-${++this.orderNo}`, external_user_id: f.externalUserId, amount, paid_at: paidAt, product }] });
          // What the 5-minute tiers-refresh and the morning care-reminders would do, done now.
          await this.run('tiers-refresh', new Date(t));
          if (kind === 'late_order') await this.run('care-reminders', new Date(t));
          return kind === 'order'
            ? `${who} paid ¥${amount.toLocaleString('en-US')} for ${product} (orders API)`
            : `the shop's export brings ${who}'s order of 3 days ago: ${product} ¥${amount.toLocaleString('en-US')} (orders API)`;
        });
      }
    }
  }

  private async pickCustomer(): Promise<{ externalUserId: string; userId: string } | null> {
    const follows = await findCorpFollows(this.d.services.db);
    const mine = follows.filter((f) => f.userId === this.d.showcaseRepId);
    const pool = mine.length > 0 && this.r.chance(0.5) ? mine : follows;
    return pool.length ? this.r.pick(pool) : null;
  }

  /** Runs `act`, then says what changed for the customer: tier, stage, reminders, the suggestion. */
  private async about(externalUserId: string, userId: string, act: (who: string, rep: { userId: string; name: string }) => Promise<string>): Promise<void> {
    const { db } = this.d.services;
    const [contact, member] = await Promise.all([findContact(db, externalUserId), findMember(db, userId)]);
    const who = contact?.name || externalUserId;
    const rep = { userId, name: member?.name || userId };
    const before = await this.judge(externalUserId, userId);
    this.d.say(`  event    → ${await act(who, rep)}`);
    const after = await this.judge(externalUserId, userId);
    const did: string[] = [];
    if (after.tier !== before.tier) did.push(`re-tiered ${before.tier} → ${after.tier} (${after.score} 分)`);
    else if (after.score !== before.score) did.push(`score ${before.score} → ${after.score} (${after.tier})`);
    if (after.stage !== before.stage) did.push(`stage ${before.stage} → ${after.stage}`);
    if (after.reminders > before.reminders) did.push(`reminder created for ${rep.name}: ${after.reminderTitle}`);
    if (after.complaints > before.complaints) did.push('complaint open: marketing paused');
    if (after.action !== before.action) did.push(`suggestion ${before.action} → ${after.action}`);
    this.d.say(`  Fencun   ✓ ${did.length ? did.join(' · ') : `nothing to change (${after.tier}, ${after.stage}, ${after.action})`}`);
  }

  private async judge(externalUserId: string, userId: string) {
    const { db, judgement, reminders, clock } = this.d.services;
    const now = clock();
    const [a, open, contact] = await Promise.all([
      assessCustomer(db, judgement, externalUserId, now), reminders.openFor(externalUserId, [userId]), findContact(db, externalUserId),
    ]);
    const next = recommendNextAction(judgement, a, {
      name: contact?.name ?? '', reminders: open.map((r) => ({ id: r.id, title: r.title, dueAt: r.dueAt, message: r.message ?? undefined, kind: r.kind ?? undefined })),
      postSaleFromReminders: true,
    }, now).recommendation;
    return {
      tier: a.tier.tierLabel, score: Math.round(a.tier.score), stage: a.lifecycle.label, action: next.title,
      reminders: open.length, reminderTitle: open[open.length - 1]?.title ?? '', complaints: a.openComplaints.length,
    };
  }

  private record(from: string, to: string, text: string) {
    const t = this.d.services.clock().getTime();
    return { msgid: `live-${t}-${this.r.id(8)}`, action: 'send', from, tolist: [to], roomid: '', msgtime: t, msgtype: 'text', text: { content: text } };
  }

  private async post(path: string, body: unknown): Promise<void> {
    const res = await postJson(this.d.url + path, this.d.apiToken, body);
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${res.text.slice(0, 300)}`);
  }

  private async run(name: string, now: Date) {
    const job = findJob(name);
    if (!job) throw new Error(`no ${name} job`);
    return this.d.jobs.runNow(job, now, () => undefined);
  }
}
