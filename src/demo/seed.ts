import { readCursor, writeCursor } from '../contacts/cursors';
import type { Job } from '../jobs/job';
import type { JobRunner } from '../jobs/runner';
import { findJob } from '../jobs/registry';
import type { Services } from '../services';
import { recordTouch } from '../touches/repository';
import type { RunningSimulator } from '../wecom-simulator';
import { campaignLine, groupLine, seedOutreach, type OutreachSummary } from './outreach';
import { postJson } from './post-json';
import { planHistory, type DemoHistory, type Story } from './history';
import { showcaseRep } from './picker';
import { countDemoData, findCorpFollows, findDemoMembers, type DemoCounts } from './repository';

/**
 * The demo's first start: Fencun's view of the simulated corp, built the way a real installation
 * builds it — the contacts-sync job reads the corp from (simulated) WeCom; six months of history
 * arrive through the machine APIs a shop and an archive puller would use (POST /api/orders,
 * POST /api/archive/messages); customers delete and re-add reps as WeCom callbacks; then the jobs
 * run once, as the scheduler would have run them. A test calls the same function on a temporary
 * database.
 */

/** data_cursors row that says the demo database is complete (a half-seeded one is started over). */
export const DEMO_SEED_CURSOR = 'demo-seed';

export interface SeedDemoDeps {
  services: Services;
  jobs: JobRunner;
  /** Fencun's base URL (the data APIs are called over HTTP, as a shop's system would). */
  url: string;
  /** FENCUN_API_TOKEN of that Fencun. */
  apiToken: string;
  sim: RunningSimulator;
  say?: (line: string) => void;
}

export interface DemoSeedSummary {
  counts: DemoCounts;
  showcaseRep: { userId: string; name: string } | null;
  showcase: Partial<Record<Story, string>>;
  /** What the plan sent in, to compare with what Fencun stored. */
  planned: { orders: number; messages: number; touches: number; deletions: number; readds: number; newContacts: number };
  outreach: OutreachSummary;
  ms: number;
}

export interface DemoSeedMarker {
  seededAt: string;
  showcaseRep: string | null;
  showcase: Partial<Record<Story, string>>;
  /** The replayed campaign and group posts (absent in a database seeded before they existed). */
  campaignId?: number;
  groupPostIds?: number[];
}

export async function readDemoSeed(services: Services): Promise<DemoSeedMarker | null> {
  return readCursor<DemoSeedMarker>(services.db, DEMO_SEED_CURSOR);
}

export async function seedDemo(d: SeedDemoDeps): Promise<DemoSeedSummary> {
  const { services, sim } = d;
  const { db, clock } = services;
  const say = d.say ?? (() => undefined);
  const started = Date.now();
  const lap = (() => {
    let last = Date.now();
    return () => {
      const s = ((Date.now() - last) / 1000).toFixed(1);
      last = Date.now();
      return `${s} s`;
    };
  })();

  say('  1/5 reading the corp from WeCom (contacts-sync: members, departments, customers, follows, tags, groups)…');
  await d.jobs.runNow(job('contacts-sync'), clock(), () => undefined);
  const synced = await countDemoData(db);
  say(`      ${synced.members} members in ${synced.departments} departments, ${synced.customers} customers, ${synced.follows} follows, ${synced.tags} tags, ${synced.groups} customer groups (${lap()})`);

  const members = await findDemoMembers(db);
  const start = showcaseRep(members);
  const now = clock().getTime();
  const plan = planHistory(await findCorpFollows(db), start?.userId ?? null, now);

  say(`  2/5 six months of history: ${plan.orders.length} orders (POST /api/orders), ${plan.messages.length} chat records (POST /api/archive/messages), ${plan.touches.length} past outreach…`);
  await postBatches(d, '/api/orders', plan.orders.map((o) => ({ ...o })), (batch) => ({ orders: batch }));
  await postBatches(d, '/api/archive/messages', plan.messages, (batch) => batch);
  for (const t of plan.touches) {
    await recordTouch(db, { externalUserId: t.externalUserId, userId: t.userId, category: t.category, at: t.at, source: 'demo-history', ref: t.ref }, now);
  }
  await services.reminders.create(plan.reminders.map((x) => ({ ...x, kind: 'follow_up' })), now);
  say(`      stored (${lap()})`);

  say(`  3/5 WeCom events: ${plan.deletions.length} customers delete their rep, ${plan.readds.length} add them again, ${plan.newContacts.length} new customers…`);
  await playWecomEvents(d, plan);
  say(`      processed by Fencun's inbox (${lap()})`);

  say('  4/5 jobs, as the scheduler runs them: complaint-scan, tiers-recompute, care-reminders…');
  const at = clock();
  await d.jobs.runNow(job('complaint-scan'), at, () => undefined);
  // The rep confirms the complaint Fencun suggested from the customer's message.
  for (const c of plan.confirmComplaints) {
    for (const open of await services.judgement.complaints.openOf(c.externalUserId)) {
      if (open.status === 'open') await services.judgement.complaints.confirm(Number(open.id), c.userId, at);
    }
  }
  await d.jobs.runNow(job('tiers-recompute'), at, () => undefined);
  // This morning's run, an hour ago: an order whose care step fell due since then is the sidebar's own suggestion.
  await d.jobs.runNow(job('care-reminders'), new Date(at.getTime() - 3_600_000), () => undefined);
  await d.jobs.runNow(job('tiers-refresh'), clock(), () => undefined);
  say(`      done (${lap()})`);

  say('  5/5 outreach history: a campaign of four days ago and last week\'s group posts, replayed through the outbox and WeCom…');
  const outreach = await seedOutreach({ services, sim, keepOut: start?.userId ?? null });
  say(`      ${campaignLine(outreach)}`);
  say(`      ${groupLine(outreach)} (${lap()})`);

  const marker: DemoSeedMarker = {
    seededAt: new Date(now).toISOString(), showcaseRep: start?.userId ?? null, showcase: plan.showcase,
    campaignId: outreach.campaign.id, groupPostIds: outreach.groups.postIds,
  };
  await writeCursor(db, DEMO_SEED_CURSOR, marker, clock().getTime());
  return {
    counts: await countDemoData(db), showcaseRep: start ? { userId: start.userId, name: start.name } : null, showcase: plan.showcase,
    planned: {
      orders: plan.orders.length, messages: plan.messages.length + 2 * plan.newContacts.length, touches: plan.touches.length,
      deletions: plan.deletions.length, readds: plan.readds.length, newContacts: plan.newContacts.length,
    },
    outreach,
    ms: Date.now() - started,
  };
}

function job(name: string): Job {
  const j = findJob(name);
  if (!j) throw new Error(`the demo needs the ${name} job, which is not registered`);
  return j;
}

const BATCH = 1000;

async function postBatches<T>(d: SeedDemoDeps, path: string, items: T[], body: (batch: T[]) => unknown): Promise<void> {
  for (let i = 0; i < items.length; i += BATCH) {
    const res = await postJson(d.url + path, d.apiToken, body(items.slice(i, i + BATCH)));
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${res.text.slice(0, 500)}`);
  }
}

/** Deletions, re-adds and new customers happen in the simulated WeCom, and reach Fencun as callbacks. */
async function playWecomEvents(d: SeedDemoDeps, plan: DemoHistory): Promise<void> {
  const { admin, state } = d.sim;
  for (const x of plan.deletions) if (state.getFollow(x.userId, x.externalUserId)) admin.customerDeletesRep(x);
  await settle(d);
  for (const x of plan.readds) {
    if (!state.getFollow(x.userId, x.externalUserId)) admin.addContact({ userId: x.userId, externalUserId: x.externalUserId, welcome: false });
  }
  for (const c of plan.newContacts) {
    if (!state.getFollow(c.userId, c.externalUserId)) admin.addContact({ userId: c.userId, externalUserId: c.externalUserId, name: c.name, state: 'live_0315' });
  }
  await settle(d);
  // A new customer says hello after adding the rep, and the rep answers.
  const t = d.services.clock().getTime();
  await postBatches(d, '/api/archive/messages', plan.newContacts.flatMap((c, i) => [
    { msgid: `demo-hello-${c.externalUserId}`, action: 'send', from: c.externalUserId, tolist: [c.userId], roomid: '', msgtime: t - 1000 * (i + 2), msgtype: 'text', text: { content: c.hello } },
    { msgid: `demo-hello-reply-${c.externalUserId}`, action: 'send', from: c.userId, tolist: [c.externalUserId], roomid: '', msgtime: t - 1000 * i, msgtype: 'text', text: { content: '您好！很高兴认识您，有什么想了解的随时问我' } },
  ]), (batch) => batch);
}

/** Every callback answered, and every stored event handled. */
async function settle(d: SeedDemoDeps): Promise<void> {
  await d.sim.admin.flushCallbacks();
  await d.services.writer.idle();
  await d.services.processor.drain();
}
