import Router from '@koa/router';
import type Koa from 'koa';
import { DateTime } from 'luxon';
import { campaignService } from '../campaigns/service';
import { AudienceSchema } from '../campaigns/types';
import { findAudience } from '../campaigns/repository';
import { AppError } from '../errors';
import { groupContentService } from '../group-content/service';
import { ScheduleSchema } from '../group-content/types';
import { BodyTooLarge, readBody } from '../http/read-body';
import { JobRunRepository } from '../jobs/repository';
import { OutboxRepository } from '../outbox/repository';
import { POLICY_PARTS, type CurrentPolicy, type PolicyPart } from '../policy/live';
import type { Services } from '../services';
import { LOCAL_ACTOR } from './auth';
import { consoleContext, operatorOf, requireRole, type ConsoleContext, type Operator } from './context';
import { readOperations } from './operations';
import { retriedAudit, retryDead } from './routes';
import { sameSecretText } from './secret';
import { whatIf } from './what-if';
import { issuesText } from '../issue-text';

/**
 * The console's JSON API (docs/CONSOLE-API.md). Reads need a viewer, campaign and calendar
 * changes an operator, policy changes an admin (roles.ts); every change is audited with what it
 * replaced and what it wrote. Campaigns and group content are the capabilities' own services: this
 * file checks who asks, shapes the answer and writes the audit row, nothing more.
 */

const DAY = 86_400_000;
const JSON_LIMIT = 8 * 1024 * 1024;
const CSV_LIMIT = 4 * 1024 * 1024;
const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

export function adminApiRoutes(s: Services): Router {
  const r = new Router({ prefix: '/admin/api' });
  const c = consoleContext(s);
  if (!c.enabled) return r;
  const campaigns = () => campaignService(s);
  const posts = () => groupContentService(s);
  const record = (ctx: Koa.Context, who: Operator, change: Parameters<ConsoleContext['auditor']['record']>[2]) => c.auditor.record(ctx, who.id, change);

  r.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  // ---- session ---------------------------------------------------------------------------------

  r.get('/me', async (ctx) => {
    const who = requireRole(c, ctx, 'viewer');
    ctx.body = await me(c, who, s);
  });
  r.post('/session/token', async (ctx) => {
    const body = await json(ctx, 4096);
    const token = (body as { token?: unknown } | null)?.token;
    if (!c.tokenLogin) throw new AppError('NO_TOKEN_LOGIN', '本服务器没有设置 FENCUN_ADMIN_TOKEN，请用企业微信登录', { status: 404 });
    if (typeof token !== 'string' || !token || !sameSecretText(token, s.config.adminToken)) {
      (ctx.state.log ?? s.log).warn({ ip: ctx.ip }, 'admin sign-in refused: wrong token');
      throw new AppError('BAD_TOKEN', '管理口令不正确', { status: 401 });
    }
    c.sessions.issue(ctx, LOCAL_ACTOR, 'token');
    const who: Operator = { id: LOCAL_ACTOR, role: 'admin', via: 'token' };
    await record(ctx, who, { action: 'admin.sign-in', detail: '本地管理口令' });
    ctx.body = await me(c, who, s);
  });
  r.post('/logout', async (ctx) => {
    const who = operatorOf(c, ctx);
    c.sessions.clear(ctx);
    if (who) await record(ctx, who, { action: 'admin.sign-out' });
    ctx.status = 204;
  });

  // ---- operations ------------------------------------------------------------------------------

  r.get('/operations', async (ctx) => {
    requireRole(c, ctx, 'viewer');
    const snap = await readOperations({ inbox: s.inbox, outbox: new OutboxRepository(s.db), jobs: new JobRunRepository(s.db), admin: c.repo, metrics: s.metrics }, nowOf(ctx, s).getTime());
    ctx.body = {
      now: iso(snap.now),
      inbox: snap.inbox,
      dead: snap.dead.map((e) => ({ id: e.id, kind: e.kind, receivedAt: iso(e.receivedAt), attempts: e.attempts, lastError: e.lastError })),
      outbox: snap.outbox,
      outboxFailures: snap.outboxFailures.map((f) => ({ ...f, lastAt: iso(f.lastAt) })),
      jobs: snap.jobs.map((j) => ({
        job: j.job, slot: j.slot, status: j.status, attempt: j.attempt, startedAt: iso(j.startedAt), finishedAt: iso(j.finishedAt),
        instanceId: j.instanceId, summary: j.summary, error: j.error,
      })),
      wecomErrors: { scope: 'instance-since-start', rows: snap.wecomErrors },
    };
  });
  r.post('/inbox/retry-dead', async (ctx) => {
    const who = requireRole(c, ctx, 'operator');
    const n = await s.inbox.retryAllDead(s.clock().getTime());
    await record(ctx, who, { action: 'inbox.retry-all-dead', detail: `重新排队 ${n} 条死信`, after: { requeued: n } });
    ctx.body = { retried: n };
  });
  r.post('/inbox/:id/retry', async (ctx) => {
    const who = requireRole(c, ctx, 'operator');
    const id = idOf(ctx, '事件');
    const before = await retryDead(s, id, s.clock().getTime());
    if (!before) throw new AppError('NOT_DEAD', `事件 ${id} 不是死信（可能已被其他人重试），没有改动`, { status: 409 });
    await record(ctx, who, retriedAudit(id, before));
    ctx.body = { retried: true };
  });

  // ---- campaigns -------------------------------------------------------------------------------

  r.get('/campaigns', async (ctx) => {
    requireRole(c, ctx, 'viewer');
    const status = one(ctx.query.status);
    if (status !== undefined && !['draft', 'approved', 'done', 'cancelled'].includes(status)) {
      throw new AppError('BAD_REQUEST', `status must be draft, approved, done or cancelled (got "${status.slice(0, 40)}")`, { status: 400 });
    }
    const ids = await c.repo.campaignIds({ status, limit: limitOf(ctx, 50, 200) });
    const list = await Promise.all(ids.map((id) => campaigns().get(id)));
    ctx.body = { campaigns: list.filter((x) => x !== null) };
  });
  r.post('/campaigns/audience-count', async (ctx) => {
    requireRole(c, ctx, 'viewer');
    const input = await json(ctx);
    const parsed = AudienceSchema.safeParse(input);
    if (!parsed.success) {
      throw new AppError('AUDIENCE_INVALID', `客户范围填写有误：${issuesText(parsed.error.issues, { root: '客户范围', input })}`, { status: 400 });
    }
    const now = nowOf(ctx, s);
    const ids = await findAudience(s.db, parsed.data, now.getTime(), s.judgement.policy.pressure.fallbackTier);
    ctx.body = { count: ids.length, at: now.toISOString() };
  });
  r.post('/campaigns', async (ctx) => {
    const who = requireRole(c, ctx, 'operator');
    const body = await json(ctx);
    const created = await campaigns().create(isObject(body) ? { ...body, creator: who.id } : body);
    await record(ctx, who, { action: 'campaign.create', target: `campaign:${created.id}`, detail: created.name, after: created });
    ctx.status = 201;
    ctx.body = created;
  });
  r.get('/campaigns/:id', async (ctx) => {
    requireRole(c, ctx, 'viewer');
    ctx.body = await campaigns().status(idOf(ctx, 'campaign'));
  });
  r.post('/campaigns/:id/plan', async (ctx) => {
    const who = requireRole(c, ctx, 'operator');
    const id = idOf(ctx, 'campaign');
    const before = (await campaigns().get(id))?.lastPlan ?? null;
    const summary = await campaigns().plan(id, nowOf(ctx, s));
    await record(ctx, who, { action: 'campaign.plan', target: `campaign:${id}`, detail: `可发 ${summary.admitted} / 受众 ${summary.audience}`, before: counts(before), after: counts(summary) });
    ctx.body = summary;
  });
  r.post('/campaigns/:id/approve', async (ctx) => {
    const who = requireRole(c, ctx, 'operator');
    const id = idOf(ctx, 'campaign');
    const before = await campaigns().get(id);
    const result = await campaigns().approve(id, nowOf(ctx, s));
    await record(ctx, who, {
      action: 'campaign.approve', target: `campaign:${id}`, detail: result.approved ? `批准，可发 ${result.summary.admitted}` : '已批准过，仅派发到期批次',
      before: { status: before?.status ?? null }, after: { status: 'approved', approved: result.approved, dispatched: result.dispatched, ...counts(result.summary) },
    });
    ctx.body = result;
  });
  r.post('/campaigns/:id/remind', async (ctx) => {
    const who = requireRole(c, ctx, 'operator');
    const id = idOf(ctx, 'campaign');
    const result = await campaigns().remind(id, nowOf(ctx, s));
    await record(ctx, who, { action: 'campaign.remind', target: `campaign:${id}`, detail: `提醒 ${result.reminded.length} 位成员`, after: result });
    ctx.body = result;
  });
  r.post('/campaigns/:id/cancel', async (ctx) => {
    const who = requireRole(c, ctx, 'operator');
    const id = idOf(ctx, 'campaign');
    const before = await campaigns().get(id);
    const result = await campaigns().cancel(id, nowOf(ctx, s));
    await record(ctx, who, { action: 'campaign.cancel', target: `campaign:${id}`, detail: before?.name ?? null, before: { status: before?.status ?? null }, after: { status: 'cancelled', ...result } });
    ctx.body = result;
  });

  // ---- group content calendar ------------------------------------------------------------------

  r.get('/group-posts', async (ctx) => {
    requireRole(c, ctx, 'viewer');
    const now = nowOf(ctx, s);
    const { from, to } = rangeOf(ctx, now, s.config.timezone);
    ctx.body = { from: iso(from), to: iso(to), sends: await posts().list({ from, to, now }) };
  });
  r.post('/group-posts/import', async (ctx) => {
    const who = requireRole(c, ctx, 'operator');
    const source = (one(ctx.query.source) || 'console').slice(0, 200);
    const imported = await posts().importCsv(await text(ctx, CSV_LIMIT), nowOf(ctx, s), `csv:${source}`);
    await record(ctx, who, { action: 'group-post.import', target: `csv:${source}`, detail: `导入 ${imported.length} 条`, after: { ids: imported.map((p) => p.id) } });
    ctx.status = 201;
    ctx.body = { imported: imported.length, posts: imported };
  });
  r.post('/group-posts', async (ctx) => {
    const who = requireRole(c, ctx, 'operator');
    const body = await json(ctx);
    const created = await posts().create(isObject(body) ? { ...body, creator: who.id } : body, nowOf(ctx, s), 'console');
    await record(ctx, who, { action: 'group-post.create', target: `group_post:${created.id}`, detail: created.name, after: created });
    ctx.status = 201;
    ctx.body = created;
  });
  r.get('/group-posts/:id', async (ctx) => {
    requireRole(c, ctx, 'viewer');
    ctx.body = await posts().status(idOf(ctx, 'group post'));
  });
  r.post('/group-posts/:id/reschedule', async (ctx) => {
    const who = requireRole(c, ctx, 'operator');
    const id = idOf(ctx, 'group post');
    const now = nowOf(ctx, s);
    const body = await json(ctx);
    const parsed = ScheduleSchema.safeParse(isObject(body) ? { at: body.at } : body);
    if (!parsed.success || !('at' in parsed.data)) throw new AppError('BAD_REQUEST', '请给出新的发送时间 { "at": "2026-03-02T10:00:00+08:00" }（带时区的 ISO 时间）', { status: 400 });
    const at = Date.parse(parsed.data.at);
    if (at <= now.getTime()) throw new AppError('BAD_REQUEST', `新的时间 ${parsed.data.at} 已经过去，请选一个以后的时间`, { status: 400 });
    const before = await posts().require(id);
    if (!('at' in before.schedule)) {
      throw new AppError('GROUP_POST_SERIES', `群内容 ${id} 是周期内容，不能整条拖动改期；请取消后重新建一条`, { status: 409 });
    }
    if (!(await c.repo.moveGroupPost(id, { at: new Date(at).toISOString() }, at, now.getTime()))) {
      throw new AppError('GROUP_POST_DECIDED', `群内容 ${id} 已经发出、已定或已取消，不能再改期`, { status: 409 });
    }
    const after = await posts().require(id);
    await record(ctx, who, { action: 'group-post.reschedule', target: `group_post:${id}`, detail: before.name, before: { schedule: before.schedule }, after: { schedule: after.schedule } });
    ctx.body = after;
  });
  r.post('/group-posts/:id/cancel', async (ctx) => {
    const who = requireRole(c, ctx, 'operator');
    const id = idOf(ctx, 'group post');
    const before = await posts().require(id);
    const result = await posts().cancel(id, nowOf(ctx, s));
    await record(ctx, who, { action: 'group-post.cancel', target: `group_post:${id}`, detail: before.name, before: { status: before.status }, after: { status: 'cancelled', ...result } });
    ctx.body = result;
  });

  // ---- policy ----------------------------------------------------------------------------------

  r.get('/policy', async (ctx) => {
    requireRole(c, ctx, 'viewer');
    await c.policy.refresh();
    ctx.body = policyJson(c.policy.current());
  });
  r.get('/policy/versions', async (ctx) => {
    requireRole(c, ctx, 'viewer');
    const rows = await c.policy.list(limitOf(ctx, 50, 500));
    ctx.body = { versions: rows.map((v) => ({ version: v.version, basedOn: v.basedOn, savedAt: iso(v.savedAt), actor: v.actor, note: v.note })) };
  });
  r.get('/policy/versions/:version', async (ctx) => {
    requireRole(c, ctx, 'viewer');
    const v = /^\d{1,15}$/.test(ctx.params.version) ? Number(ctx.params.version) : NaN;
    if (!Number.isSafeInteger(v)) throw new AppError('BAD_REQUEST', `version must be a whole number (got "${ctx.params.version.slice(0, 40)}")`, { status: 400 });
    const found = await c.policy.version(v);
    if (!found) throw new AppError('POLICY_VERSION_NOT_FOUND', `没有第 ${v} 版策略`, { status: 404 });
    ctx.body = policyJson(found);
  });
  r.post('/policy', async (ctx) => {
    const who = requireRole(c, ctx, 'admin');
    const body = await json(ctx);
    if (!isObject(body)) throw new AppError('BAD_REQUEST', 'body must be { "policy": { …parts… }, "note": "why" }', { status: 400 });
    const note = body.note === undefined ? '' : body.note;
    if (typeof note !== 'string' || note.length > 500) throw new AppError('BAD_REQUEST', '说明要是文字，最多 500 个字', { status: 400 });
    const basedOn = body.basedOn;
    if (basedOn !== undefined && !(Number.isSafeInteger(basedOn) && (basedOn as number) >= 0)) throw new AppError('BAD_REQUEST', 'basedOn must be a version number', { status: 400 });
    const before = c.policy.current();
    const saved = await c.policy.save(body.policy, { actor: who.id, note, basedOn: basedOn as number | undefined, now: s.clock().getTime() });
    const changed = POLICY_PARTS.filter((p) => JSON.stringify(before.policy[p]) !== JSON.stringify(saved.policy[p]));
    await record(ctx, who, {
      action: 'policy.save', target: `policy:${saved.version}`, detail: note || (changed.length ? `修改 ${changed.join(', ')}` : '未修改内容'),
      before: { version: before.version, ...pick(before.policy, changed) }, after: { version: saved.version, ...pick(saved.policy, changed) },
    });
    ctx.status = 201;
    ctx.body = policyJson(saved);
  });
  r.post('/policy/what-if', async (ctx) => {
    requireRole(c, ctx, 'viewer');
    const body = await json(ctx);
    if (!isObject(body)) throw new AppError('BAD_REQUEST', 'body must be { "policy": { …candidate parts… } }', { status: 400 });
    await c.policy.refresh();
    const candidate = c.policy.candidate(body.policy);
    ctx.body = await whatIf(s, { current: c.policy.current(), candidate: candidate.policy, now: nowOf(ctx, s) });
  });

  // ---- audit -----------------------------------------------------------------------------------

  r.get('/audit', async (ctx) => {
    requireRole(c, ctx, 'viewer');
    const limit = limitOf(ctx, 100, 500);
    const before = one(ctx.query.before);
    if (before !== undefined && !/^\d{1,15}$/.test(before)) throw new AppError('BAD_REQUEST', `before must be an audit entry id (got "${before.slice(0, 40)}")`, { status: 400 });
    const rows = await c.auditor.list(limit, before === undefined ? undefined : Number(before));
    ctx.body = { entries: rows.map((e) => ({ ...e, at: iso(e.at) })), next: rows.length === limit ? rows[rows.length - 1].id : null };
  });

  return r;
}

async function me(c: ConsoleContext, who: Operator, s: Services) {
  const name = who.via === 'token' ? '本地管理员' : (await c.repo.memberName(who.id)) || who.id;
  return {
    user: { id: who.id, name, role: who.role, via: who.via },
    can: { read: true, operate: who.role !== 'viewer', administer: who.role === 'admin' },
    corpId: s.config.wecom.corpId, timezone: s.config.timezone, now: s.clock().toISOString(),
  };
}

function policyJson(p: CurrentPolicy) {
  return { version: p.version, source: p.source, savedAt: iso(p.savedAt), actor: p.actor, note: p.note, policy: p.policy };
}

function pick(policy: CurrentPolicy['policy'], parts: PolicyPart[]): Partial<Record<PolicyPart, unknown>> {
  return Object.fromEntries(parts.map((p) => [p, policy[p]]));
}

/** A plan's counts without its samples (the audit row says what moved, not whom). */
function counts(p: { audience: number; admitted: number; deferred: object; excluded: object } | null) {
  return p ? { audience: p.audience, admitted: p.admitted, deferred: p.deferred, excluded: p.excluded } : null;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function one(v: unknown): string | undefined {
  const x = Array.isArray(v) ? v[0] : v;
  return typeof x === 'string' ? x : undefined;
}

function idOf(ctx: Koa.Context, what: string): number {
  const raw = String(ctx.params.id);
  const id = /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(id) || id <= 0) throw new AppError('BAD_REQUEST', `${what} id must be a positive whole number (got "${raw.slice(0, 40)}")`, { status: 400 });
  return id;
}

function limitOf(ctx: Koa.Context, dflt: number, max: number): number {
  const v = one(ctx.query.limit);
  if (v === undefined) return dflt;
  if (!/^\d{1,6}$/.test(v) || Number(v) < 1 || Number(v) > max) throw new AppError('BAD_REQUEST', `limit must be 1–${max} (got "${v.slice(0, 40)}")`, { status: 400 });
  return Number(v);
}

function timeOf(ctx: Koa.Context, name: string): number | null {
  const v = one(ctx.query[name]);
  if (v === undefined) return null;
  const t = Date.parse(v);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(v) || Number.isNaN(t)) {
    throw new AppError('BAD_REQUEST', `${name} must be an ISO time such as 2026-03-02T09:00:00+08:00 (got "${v.slice(0, 60)}")`, { status: 400 });
  }
  return t;
}

export function nowOf(ctx: Koa.Context, s: Services): Date {
  const t = timeOf(ctx, 'now');
  return t === null ? s.clock() : new Date(t);
}

/** ?view=month|week&date=YYYY-MM-DD (local calendar), or ?from=&to= (at most 92 days). */
function rangeOf(ctx: Koa.Context, now: Date, zone: string): { from: number; to: number } {
  const view = one(ctx.query.view);
  if (view !== undefined) {
    if (view !== 'month' && view !== 'week') throw new AppError('BAD_REQUEST', `view must be month or week (got "${view.slice(0, 40)}")`, { status: 400 });
    const date = one(ctx.query.date);
    const day = date === undefined ? DateTime.fromJSDate(now, { zone }) : DateTime.fromISO(date, { zone });
    if (date !== undefined && (!/^\d{4}-\d{2}-\d{2}$/.test(date) || !day.isValid)) {
      throw new AppError('BAD_REQUEST', `date must be a calendar day such as 2026-03-02 (got "${date.slice(0, 40)}")`, { status: 400 });
    }
    const start = day.startOf(view);
    return { from: start.toMillis(), to: start.plus(view === 'month' ? { months: 1 } : { weeks: 1 }).toMillis() };
  }
  const from = timeOf(ctx, 'from') ?? now.getTime();
  const to = timeOf(ctx, 'to') ?? from + 31 * DAY;
  if (to <= from) throw new AppError('BAD_REQUEST', 'to must be after from', { status: 400 });
  if (to - from > 92 * DAY) throw new AppError('BAD_REQUEST', 'list at most 92 days at a time', { status: 400 });
  return { from, to };
}

async function text(ctx: Koa.Context, limit: number): Promise<string> {
  try {
    return await readBody(ctx, limit);
  } catch (err) {
    if (err instanceof BodyTooLarge) throw new AppError('BODY_TOO_LARGE', `the request is over ${Math.round(limit / 1024 / 1024)} MB; send less at a time`, { status: 413 });
    throw err;
  }
}

async function json(ctx: Koa.Context, limit = JSON_LIMIT): Promise<unknown> {
  const t = await text(ctx, limit);
  try {
    return JSON.parse(t) as unknown;
  } catch {
    throw new AppError('BAD_JSON', 'the request body is not valid JSON', { status: 400 });
  }
}
