import type { Database } from '../../src/db/database';
import type { NewIntent } from '../../src/outbox/types';
import type { RunningSimulator } from '../../src/wecom-simulator';
import type { JobLogLine } from './instances';
import { acknowledged, TrackedEvent, Workload } from './workload';

/** What the comparison found; lost, doubled, misrecorded and stuck must all be 0. */
export interface Verdict {
  /** An acknowledged event without its effect, or an intended send neither made nor recorded as not made (with a reason). */
  lost: number;
  /** An event whose effect was applied twice, a send WeCom carried out twice, a job slot run twice. */
  doubled: number;
  /** A record that contradicts WeCom: "sent" when WeCom has no delivery, "failed" when it has one. */
  misrecorded: number;
  /** Leases left after the drain: inbox rows processing, outbox claims or job runs past their lease. */
  stuck: number;
  eventsStored: number;
  unacknowledged: number;
  sendStatuses: string;
  welcomes: string;
  jobSlots: number;
  problems: string[];
  /** Why WeCom gave up on a few events (not Fencun's loss: it never said 200). */
  notes: string[];
}

interface LedgerRow {
  kind: string;
  ref: string;
  content: { text?: { content?: string } | string };
}

const STALE_JOB_MS = 60_000;

/**
 * Compares the simulator's ledger and world with Fencun's database after the drain. Every check
 * is by effect: the audit row per event (wecom_events), the message row per app message, the
 * relation's state against WeCom's, one ledger delivery per send Fencun says it made.
 */
export async function verify(o: { db: Database; sim: RunningSimulator; workload: Workload; intents: NewIntent[]; jobLines: JobLogLine[]; now: number }): Promise<Verdict> {
  const { db, sim, workload } = o;
  const problems: string[] = [];
  let lost = 0;
  let doubled = 0;
  let misrecorded = 0;
  let stuck = 0;
  const problem = (what: 'lost' | 'doubled' | 'misrecorded' | 'stuck', text: string) => {
    if (what === 'lost') lost++;
    else if (what === 'doubled') doubled++;
    else if (what === 'misrecorded') misrecorded++;
    else stuck++;
    problems.push(`${what}: ${text}`);
  };

  // ---- leases left behind (checked before the instances stop)
  const [inboxProcessing] = await db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM inbox_events WHERE status = 'processing'`);
  if (Number(inboxProcessing.n) > 0) problem('stuck', `${inboxProcessing.n} inbox event(s) still processing after the drain`);
  const claims = await db.query<{ id: number; status: string; lease_owner: string }>(
    `SELECT id, status, lease_owner FROM outbox_intents WHERE status IN ('running', 'polling') AND lease_until < ?`, [o.now]);
  for (const c of claims) problem('stuck', `outbox intent ${c.id} ${c.status} under an expired lease of ${c.lease_owner}`);
  const staleJobs = await db.query<{ job: string; slot: string; instance_id: string }>(
    `SELECT job, slot, instance_id FROM job_runs WHERE status = 'running' AND heartbeat_at < ?`, [o.now - STALE_JOB_MS]);
  for (const j of staleJobs) problem('stuck', `job ${j.job} ${j.slot} left running by ${j.instance_id} (heartbeat stale)`);

  // ---- events: one audit row per event, nothing left unprocessed
  const inbox = await db.query<{ status: string; n: number }>(`SELECT status, COUNT(*) AS n FROM inbox_events GROUP BY status`);
  let inboxRows = 0;
  for (const r of inbox) {
    inboxRows += Number(r.n);
    if (r.status !== 'done') problem('lost', `${r.n} inbox event(s) ${r.status} after the drain`);
  }
  const audit = await db.query<{ kind: string; user_id: string | null; external_user_id: string | null; event_time: number; n: number }>(
    `SELECT kind, user_id, external_user_id, event_time, COUNT(*) AS n FROM wecom_events GROUP BY kind, user_id, external_user_id, event_time`);
  const stored = new Map<string, number>();
  let auditRows = 0;
  for (const r of audit) {
    stored.set(eventKey(r.kind, r.user_id, r.external_user_id, Number(r.event_time)), Number(r.n));
    auditRows += Number(r.n);
  }
  if (auditRows !== inboxRows) problem(auditRows > inboxRows ? 'doubled' : 'lost', `${inboxRows} inbox events but ${auditRows} wecom_events rows`);
  const expected = new Map<string, { all: number; acked: number; sample: TrackedEvent }>();
  for (const e of workload.events) {
    const k = eventKey(e.kind, e.userId, e.externalUserId, e.at);
    const x = expected.get(k) ?? { all: 0, acked: 0, sample: e };
    x.all++;
    if (acknowledged(e)) x.acked++;
    expected.set(k, x);
  }
  for (const [k, x] of expected) {
    const n = stored.get(k) ?? 0;
    if (n < x.acked) problem('lost', `${x.sample.kind} of ${x.sample.userId}/${x.sample.externalUserId ?? '-'} at ${new Date(x.sample.at).toISOString()}: acknowledged ${x.acked}×, processed ${n}×`);
    if (n > x.all) problem('doubled', `${x.sample.kind} of ${x.sample.userId}/${x.sample.externalUserId ?? '-'} at ${new Date(x.sample.at).toISOString()}: happened ${x.all}×, processed ${n}×`);
  }
  const unacked = workload.events.filter((e) => !acknowledged(e));
  const unacknowledged = unacked.length;
  const notes = unacked.slice(0, 5).map((e) => `WeCom gave up on ${e.kind} at ${new Date(e.at).toISOString()}: ` +
    e.deliveries.flatMap((d) => d.attempts.map((a) => `${new Date(a.at).toISOString().slice(11, 23)} ${a.status ?? a.error}`)).join('; '));

  // App messages: one message row each.
  const appIds = new Set((await db.query<{ msgid: string }>(`SELECT msgid FROM messages WHERE channel = 'app'`)).map((r) => r.msgid));
  for (const e of workload.events) {
    if (e.kind === 'app_message' && acknowledged(e) && !appIds.has(`app:${e.msgId}`)) problem('lost', `app message ${e.msgId} of ${e.userId} acknowledged but not stored`);
  }

  // Relations: the state WeCom ends with is the state Fencun ends with.
  const follows = new Map<string, { status: string; remark: string | null }>();
  for (const f of await db.query<{ user_id: string; external_user_id: string; status: string; remark: string | null }>(`SELECT user_id, external_user_id, status, remark FROM follows`)) {
    follows.set(`${f.user_id}|${f.external_user_id}`, { status: f.status, remark: f.remark });
  }
  const byRelation = new Map<string, TrackedEvent[]>();
  for (const e of workload.events) if (e.externalUserId) (byRelation.get(`${e.userId}|${e.externalUserId}`) ?? byRelation.set(`${e.userId}|${e.externalUserId}`, []).get(`${e.userId}|${e.externalUserId}`)!).push(e);
  for (const [key, events] of byRelation) {
    if (!events.every(acknowledged)) continue; // WeCom gave up on one of them: Fencun cannot know (the reconcile's job)
    const [userId, externalUserId] = key.split('|');
    const truth = sim.state.getFollow(userId, externalUserId);
    const mine = follows.get(key);
    const active = mine?.status === 'active' || mine?.status === 'half';
    if (!!truth !== active) problem('lost', `relation ${key}: WeCom says ${truth ? 'active' : 'ended'}, Fencun says ${mine?.status ?? 'nothing'}`);
    else if (truth && (truth.remark || null) !== (mine?.remark || null)) problem('lost', `relation ${key}: WeCom's remark "${truth.remark}", Fencun's "${mine?.remark}" (an edit was not applied)`);
  }

  // ---- sends
  const ledger = (await (await fetch(`${sim.url}/__admin/ledger`)).json()) as LedgerRow[];
  const byText = new Map<string, number>();
  const welcomesDelivered = new Map<string, number>();
  for (const r of ledger) {
    const c = r.content;
    const text = typeof c.text === 'string' ? c.text : c.text?.content;
    if (text && (r.kind === 'app_message' || r.kind === 'mass_task')) byText.set(`${r.kind}|${text}`, (byText.get(`${r.kind}|${text}`) ?? 0) + 1);
    if (r.kind === 'welcome') welcomesDelivered.set(r.ref, (welcomesDelivered.get(r.ref) ?? 0) + 1);
  }
  const rows = new Map((await db.query<{ idem_key: string; status: string; reason: string | null; id: number; next_attempt_at: unknown }>(
    `SELECT id, idem_key, status, reason, next_attempt_at FROM outbox_intents`)).map((r) => [r.idem_key, r]));
  const statuses = new Map<string, number>();
  const deferredReasons = new Map<string, number>();
  for (const i of o.intents) {
    const row = rows.get(i.key);
    const text = i.kind === 'app_message' ? (i.message as { text: { content: string } }).text.content : i.kind === 'mass_task' ? i.text! : '';
    const n = byText.get(`${i.kind}|${text}`) ?? 0;
    if (!row) {
      problem('lost', `intent ${i.key} was never stored`);
      continue;
    }
    // Pending with a reason and a next attempt after the run: held back by a rule (a rep's daily
    // cap), to go later. Not lost, as long as WeCom has not had it.
    const deferred = row.status === 'pending' && !!row.reason && Number(row.next_attempt_at) > o.now;
    statuses.set(deferred ? 'deferred with the reason' : row.status, (statuses.get(deferred ? 'deferred with the reason' : row.status) ?? 0) + 1);
    if (deferred) {
      if (n > 0) problem('misrecorded', `intent ${row.id} is deferred ("${row.reason}") but WeCom delivered it`);
      else {
        // "deferred to <day>: <member> already received … (repDailyCap 6)": the rule in the brackets is the reason.
        const rule = /\(([^()]+)\)\s*$/.exec(row.reason!)?.[1] ?? reasonOf(row.reason);
        deferredReasons.set(rule, (deferredReasons.get(rule) ?? 0) + 1);
      }
      continue;
    }
    if (n > 1) problem('doubled', `intent ${row.id} (${i.kind} "${text}") delivered ${n}×`);
    if (['sent', 'awaiting', 'polling'].includes(row.status) && n === 0) problem('lost', `intent ${row.id} is ${row.status} but WeCom has no delivery of it`);
    if (['failed', 'skipped', 'unknown'].includes(row.status) && !row.reason) problem('lost', `intent ${row.id} is ${row.status} without a reason`);
    if (['failed', 'skipped'].includes(row.status) && n === 1) problem('misrecorded', `intent ${row.id} is ${row.status} ("${row.reason}") but WeCom delivered it`);
    if (['pending', 'running'].includes(row.status)) problem('lost', `intent ${row.id} still ${row.status} after the drain (${row.reason ?? 'no reason'})`);
  }

  // Welcomes: sent inline by the add handler, once per code, or recorded as not sent with why.
  const welcomeRows = new Map((await db.query<{ welcome_code: string; status: string; error: string | null }>(
    `SELECT welcome_code, status, error FROM welcome_sends`)).map((r) => [r.welcome_code, r]));
  const welcomeStatuses = new Map<string, number>();
  // Why welcomes went unsent, by the recorded reason with its numbers blanked: the table's note.
  const welcomeReasons = new Map<string, number>();
  for (const e of workload.events) {
    if (e.kind !== 'add_external_contact' || !e.welcomeCode) continue;
    const n = welcomesDelivered.get(e.welcomeCode) ?? 0;
    const row = welcomeRows.get(e.welcomeCode);
    if (n > 1) problem('doubled', `welcome ${e.welcomeCode} delivered ${n}×`);
    if (!row) {
      if (acknowledged(e)) problem('lost', `welcome ${e.welcomeCode}: add event acknowledged, no welcome_sends row`);
      continue;
    }
    welcomeStatuses.set(row.status, (welcomeStatuses.get(row.status) ?? 0) + 1);
    if (row.status !== 'sent') welcomeReasons.set(`${row.status}: ${reasonOf(row.error)}`, (welcomeReasons.get(`${row.status}: ${reasonOf(row.error)}`) ?? 0) + 1);
    if (row.status === 'sent' && n === 0) problem('lost', `welcome ${e.welcomeCode} recorded sent, WeCom has no delivery`);
    if (row.status === 'sending') {
      if (n === 0) problem('lost', `welcome ${e.welcomeCode} left "sending": not delivered, and no reason recorded`);
      else problem('misrecorded', `welcome ${e.welcomeCode} delivered but left "sending"`);
    }
    if (['failed', 'refused', 'late'].includes(row.status) && n === 1) problem('misrecorded', `welcome ${e.welcomeCode} recorded ${row.status} ("${row.error}") but WeCom delivered it`);
  }

  // ---- job slots: one row per slot, at most one recorded finish per slot, no attempt started twice
  const twice = await db.query<{ job: string; slot: string; n: number }>(`SELECT job, slot, COUNT(*) AS n FROM job_runs GROUP BY job, slot HAVING COUNT(*) > 1`);
  for (const t of twice) problem('doubled', `job ${t.job} slot ${t.slot} has ${t.n} rows`);
  const slots = new Map<string, { starts: Map<number, number>; finishes: number; unrecorded: number }>();
  for (const l of o.jobLines) {
    const k = `${l.job} ${l.runId}`;
    const s = slots.get(k) ?? slots.set(k, { starts: new Map(), finishes: 0, unrecorded: 0 }).get(k)!;
    if (l.msg === `job ${l.job} started`) s.starts.set(l.attempt ?? 1, (s.starts.get(l.attempt ?? 1) ?? 0) + 1);
    if (l.msg === `job ${l.job} finished`) s.finishes++;
    if (l.msg.startsWith(`job ${l.job}: finished after another instance took the run over`)) s.unrecorded++;
  }
  for (const [k, s] of slots) {
    for (const [attempt, n] of s.starts) if (n > 1) problem('doubled', `job ${k} attempt ${attempt} started ${n}×`);
    if (s.finishes - s.unrecorded > 1) problem('doubled', `job ${k} finished and recorded ${s.finishes - s.unrecorded}×`);
  }
  const [{ n: jobSlots }] = await db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM job_runs`);

  const fmt = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${v} ${k}`).join(', ') || 'none';
  if (deferredReasons.size > 0) notes.push(`sends deferred, by reason: ${[...deferredReasons].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, v]) => `${v}× ${k}`).join('; ')}`);
  if (welcomeReasons.size > 0) notes.push(`welcomes not sent, by recorded reason: ${[...welcomeReasons].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, v]) => `${v}× ${k}`).join('; ')}`);
  return {
    lost, doubled, misrecorded, stuck, eventsStored: inboxRows, unacknowledged,
    sendStatuses: fmt(statuses),
    welcomes: `${[...welcomeStatuses.values()].reduce((a, b) => a + b, 0)} welcomes (${fmt(welcomeStatuses)}), ${[...welcomesDelivered.values()].reduce((a, b) => a + b, 0)} delivered`,
    jobSlots: Number(jobSlots), problems, notes,
  };
}

/** A recorded error with its numbers (ages, waits, ids) blanked, so that like reasons group together. */
function reasonOf(error: string | null): string {
  if (!error) return 'no reason recorded';
  return error.replace(/\d+(\.\d+)?/g, (d) => (/^-?\d{5}$/.test(d) || d === '1' ? d : 'N')).slice(0, 90);
}

function eventKey(kind: string, userId: string | null, externalUserId: string | null, at: number): string {
  return `${kind}|${userId ?? ''}|${externalUserId ?? ''}|${at}`;
}
