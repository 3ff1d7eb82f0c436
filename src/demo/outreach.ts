import { DateTime } from 'luxon';
import { CampaignService } from '../campaigns/service';
import type { PlanSummary } from '../campaigns/types';
import type { Clock } from '../clock';
import { GroupContentService } from '../group-content/service';
import { DEFAULT_OUTBOX_CONFIG } from '../outbox/policy';
import { defaultWorkerOptions, OutboxWorker } from '../outbox/worker';
import type { Services } from '../services';
import type { RunningSimulator } from '../wecom-simulator';
import { countGroupSends, findCorpFollows, findGroupOwners, nextPlannedGroupSend } from './repository';

/**
 * The demo's outreach history: one campaign that ran four days ago, from plan to WeCom's last
 * per-customer result, and a week of posts to customer groups — so the console and the digest
 * have something to show on the first start. Both are *replayed*: the campaign and group-content
 * services and an outbox worker run on a replay clock, and the simulator is moved to the same
 * instants, so WeCom's send times, the touches Fencun records and every decision carry the time
 * they would have had. Fencun's own clock (and its background outbox worker, stopped meanwhile)
 * is never moved. Each member answers as a real one might: confirms after an hour (one of their
 * customers deletes them first: "not a friend"), confirms at once (two customers already had
 * the month's WeCom quota from members' own mass messages: "over quota"), or never (reminded,
 * then "did not send" once Fencun stops polling after massTaskPoll.forHours).
 */

const M = 60_000;
const H = 60 * M;
const D = 24 * H;

export interface OutreachSummary {
  campaign: { id: number; name: string; plan: PlanSummary; results: Record<string, number>; reminded: string[]; senders: { userId: string; answers: string }[] };
  groups: { postIds: number[]; owner: string; sends: { decision: string; status: string; reason: string | null; n: number }[] };
}

export interface OutreachDeps {
  services: Services;
  sim: RunningSimulator;
  /** Reps whose customers stay out of the campaign (the showcase book keeps its stories). */
  keepOut: string | null;
}

export async function seedOutreach(d: OutreachDeps): Promise<OutreachSummary> {
  const { services, sim } = d;
  const zone = services.config.timezone;
  // The simulator follows the replay clock: simOffset is how far it is moved from Fencun's clock.
  let replay = services.clock().getTime();
  let simOffset = 0;
  const at = (t: number) => {
    replay = t;
    const delta = t - services.clock().getTime() - simOffset;
    sim.admin.advanceTime(delta);
    simOffset += delta;
  };
  const clock: Clock = () => new Date(replay);
  const worker = new OutboxWorker(
    { db: services.db, repo: services.outbox.repo, wecom: services.wecom, config: DEFAULT_OUTBOX_CONFIG, timeZone: zone, clock, log: services.log.child({ component: 'demo-outbox' }), metrics: services.metrics },
    { ...defaultWorkerOptions, heartbeatMs: 0, idlePollMs: 50, instanceId: `${services.config.instanceId}-demo-replay` },
  );
  const settle = async () => {
    await sim.admin.flushCallbacks();
    await services.writer.idle();
    await services.processor.drain();
  };
  await services.outboxWorker.stop();
  // WeCom's callbacks for replayed events (a customer deleting a rep and adding them back) are not
  // sent: they would carry a days-old timestamp, which Fencun rightly refuses as a replayed
  // request. The customer is back before today, so Fencun's follows are today's either way.
  const callbackUrl = sim.admin.configureCallbacks({}).url;
  sim.admin.setCallbackUrl(null);
  try {
    const groups = await replayGroupWeek(d, clock, at, worker, zone);
    const campaign = await replayCampaign(d, clock, at, worker, zone, settle);
    return { campaign, groups };
  } finally {
    sim.admin.setCallbackUrl(callbackUrl);
    sim.admin.advanceTime(-simOffset);
    services.outboxWorker.start();
  }
}

/** Local time `days` ago at hh:mm in the corp's zone. */
function localAt(now: number, zone: string, days: number, hour: number, minute = 0): number {
  return DateTime.fromMillis(now, { zone }).minus({ days }).set({ hour, minute, second: 0, millisecond: 0 }).toMillis();
}

async function replayCampaign(
  d: OutreachDeps, clock: Clock, at: (t: number) => void, worker: OutboxWorker, zone: string, settle: () => Promise<void>,
): Promise<OutreachSummary['campaign']> {
  const { services, sim } = d;
  const now = services.clock().getTime();
  const start = localAt(now, zone, 4, 10);
  // Customers with one rep only, so WeCom's routing (the last chatter) sends each through that rep.
  const follows = (await findCorpFollows(services.db)).filter((f) => f.followers === 1);
  const byRep = new Map<string, string[]>();
  const keep = new Set(follows.filter((f) => f.userId === d.keepOut).map((f) => f.externalUserId));
  for (const f of follows) if (f.userId !== d.keepOut && !keep.has(f.externalUserId)) (byRep.get(f.userId) ?? byRep.set(f.userId, []).get(f.userId)!).push(f.externalUserId);
  const reps = [...byRep.entries()].filter(([, ids]) => ids.length >= 6).sort((a, b) => (a[0] < b[0] ? -1 : 1)).slice(0, 3);
  if (reps.length < 3) throw new Error('the demo corp has too few reps with customers of their own for the demo campaign');
  const [[late, lateIds], [prompt, promptIds], [never]] = reps;
  sim.admin.setMassConfirmMode(late, { mode: 'after', delayMs: H });
  sim.admin.setMassConfirmMode(prompt, { mode: 'immediately' });
  sim.admin.setMassConfirmMode(never, { mode: 'never' });

  at(start - 10 * M);
  // Two of prompt's customers already had this month's quota from members' own mass messages
  // (WeCom counts those with Fencun's; Fencun does not see them).
  const month = DateTime.fromMillis(start, { zone: 'Asia/Shanghai' });
  const quota = month.daysInMonth!;
  for (const id of promptIds.slice(0, 2)) {
    sim.state.groupReceived.set(id, Array.from({ length: quota }, (_, i) => Math.max(month.startOf('month').toMillis(), start - (i + 1) * M)));
  }
  const campaigns = new CampaignService({ db: services.db, clock, log: services.log, judgement: services.judgement, wecom: services.wecom });
  const name = '春季焕新回馈';
  const c = await campaigns.create({
    name, category: 'marketing', creator: 'ops-demo',
    audience: { externalUserIds: reps.flatMap(([, ids]) => ids) },
    content: { text: '春季焕新季：老朋友专享 8 折，本周内有效。有想了解的随时问我～', attachments: [{ msgtype: 'link', link: { title: '春季焕新专区', url: 'https://shop.example.com/spring', desc: '老客专享' } }] },
    schedule: { start: new Date(start).toISOString(), end: new Date(start + 8 * H).toISOString(), perSenderDailyRate: 200 },
  });
  await campaigns.plan(c.id, new Date(start - 10 * M));
  at(start);
  await campaigns.approve(c.id, new Date(start));
  await worker.drain();
  // Ten minutes later one of late's customers deletes them, before late confirms (and adds them
  // back the next hour, so WeCom and Fencun still agree on today's follows).
  at(start + 10 * M);
  sim.admin.customerDeletesRep({ userId: late, externalUserId: lateIds[0] });
  await settle();
  let readded = false;
  // The day's hours: deferred batches go when due; results are read as WeCom reports them.
  for (let h = 1; h <= 8; h++) {
    at(start + h * H + M);
    if (h >= 2 && !readded) {
      sim.admin.addContact({ userId: late, externalUserId: lateIds[0], welcome: false });
      await settle();
      readded = true;
    }
    await campaigns.dispatch(clock());
    await worker.drain();
    await campaigns.track(clock());
  }
  at(start + D);
  const { reminded } = await campaigns.remind(c.id, clock());
  // Fencun stops polling a task its member has not sent after massTaskPoll.forHours.
  at(start + 8 * H + (DEFAULT_OUTBOX_CONFIG.massTaskPoll.forHours + 1) * H);
  await worker.drain();
  await campaigns.track(clock());
  for (const r of [late, prompt, never]) sim.admin.setMassConfirmMode(r, null);
  const status = await campaigns.status(c.id);
  return {
    id: c.id, name, plan: status.campaign.lastPlan!, results: status.results, reminded,
    senders: [{ userId: late, answers: 'confirmed after an hour' }, { userId: prompt, answers: 'confirmed at once' }, { userId: never, answers: 'never confirmed' }],
  };
}

async function replayGroupWeek(d: OutreachDeps, clock: Clock, at: (t: number) => void, worker: OutboxWorker, zone: string): Promise<OutreachSummary['groups']> {
  const { services, sim } = d;
  const now = services.clock().getTime();
  const owner = (await findGroupOwners(services.db)).find((o) => o.userId !== d.keepOut && o.groups >= 2) ?? (await findGroupOwners(services.db))[0];
  if (!owner) throw new Error('the demo corp has no customer groups for the demo group calendar');
  sim.admin.setMassConfirmMode(owner.userId, { mode: 'immediately' });
  const day = (n: number) => DateTime.fromMillis(localAt(now, zone, n, 0), { zone }).toFormat('yyyy-MM-dd');
  const first = localAt(now, zone, 7, 8);
  at(first);
  const gc = new GroupContentService({ db: services.db, clock, log: services.log, wecom: services.wecom, policy: services.judgement.pressurePolicy, timeZone: zone });
  const target = { owners: [owner.userId] };
  const posts = [
    await gc.create({ name: '每日新品速递', target, creator: 'ops-demo', content: { text: '今日新品：山茶花精华套装到货，群友专享价，私聊店长预留～' },
      schedule: { series: { days: 'daily', time: '10:00', from: day(7), until: day(1) } } }, clock()),
    // Announced for 22:00, inside the groups' quiet hours: moved to the morning, if that is soon enough.
    await gc.create({ name: '周末直播预告', target, creator: 'ops-demo', moveWithinHours: 12, content: { text: '本周六晚 8 点直播间见：护肤答疑 + 限时福利' },
      schedule: { at: new Date(localAt(now, zone, 5, 22)).toISOString() } }, clock()),
    await gc.create({ name: '会员日提醒', target, creator: 'ops-demo', moveWithinHours: 2, content: { text: '明天会员日，积分双倍，记得来逛逛' },
      schedule: { at: new Date(localAt(now, zone, 3, 15)).toISOString() } }, clock()),
  ];
  // Step through the week as the 5-minute job would see it: every occurrence and every planned
  // (moved) send, a minute after its time; an hour after each, to read WeCom's results.
  const fixed = [...Array(7)].flatMap((_, i) => [localAt(now, zone, 7 - i, 10), localAt(now, zone, 7 - i, 11)]);
  fixed.push(localAt(now, zone, 5, 22), localAt(now, zone, 5, 23), localAt(now, zone, 3, 15), localAt(now, zone, 3, 16));
  // Up to a few minutes ago: a post moved to later today is left to the live job.
  const end = now - 5 * M;
  let t = first;
  for (let guard = 0; guard < 200 && t < end; guard++) {
    const planned = await nextPlannedGroupSend(services.db, t);
    const candidates = [...fixed.filter((x) => x + M > t), ...(planned !== null ? [planned, planned + H] : [])].map((x) => x + M).filter((x) => x > t && x <= end);
    if (!candidates.length) break;
    t = Math.min(...candidates);
    at(t);
    await gc.run(clock());
    await worker.drain();
  }
  at(end);
  await worker.drain();
  await gc.run(clock());
  sim.admin.setMassConfirmMode(owner.userId, null);
  const postIds = posts.map((p) => p.id);
  return { postIds, owner: owner.userId, sends: await countGroupSends(services.db, postIds) };
}

const RESULT_WORDS: [string, string][] = [['sent', 'sent'], ['not_friend', 'not a friend'], ['over_quota', 'over WeCom\'s quota'], ['not_sent', 'member did not send'], ['excluded', 'left out by the plan']];

/** One line: the campaign, its plan and WeCom's per-customer results. */
export function campaignLine(o: OutreachSummary): string {
  const c = o.campaign;
  const results = RESULT_WORDS.filter(([k]) => c.results[k]).map(([k, w]) => `${c.results[k]} ${w}`).join(' · ');
  return `campaign #${c.id} 「${c.name}」 finished: ${c.plan.audience} planned, ${c.plan.admitted} admitted; ${results}${c.reminded.length ? ` (reminded ${c.reminded.join(', ')})` : ''}`;
}

/** One line: the week of group posts by outcome, with the reasons for moves and skips. */
export function groupLine(o: OutreachSummary): string {
  const g = o.groups;
  const by = (pred: (s: OutreachSummary['groups']['sends'][number]) => boolean) => g.sends.filter(pred).reduce((n, s) => n + s.n, 0);
  const reasons = (kind: string) => [...new Set(g.sends.filter((s) => s.decision === kind && s.reason).map((s) => s.reason))].join(', ');
  const sent = by((s) => s.status === 'sent');
  const moved = by((s) => s.decision === 'moved');
  const skipped = by((s) => s.decision === 'skipped');
  return `group posts of the last week (${g.postIds.length} posts to ${g.owner}'s groups): ${sent} sent · ${moved} moved${moved ? ` (${reasons('moved')})` : ''} · ${skipped} skipped${skipped ? ` (${reasons('skipped')})` : ''}`;
}
