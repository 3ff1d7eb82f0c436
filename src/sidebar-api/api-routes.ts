import Router from '@koa/router';
import type Koa from 'koa';
import { z } from 'zod';
import { AppError } from '../errors';
import { BodyTooLarge, readBody } from '../http/read-body';
import type { SidebarContext } from './routes';
import { RemindersNotAvailable } from './reminders-port';
import { corpTagGroups, editTags } from './tag-editing';
import { addNote } from '../notes/repository';
import { snoozeUntil } from './snooze';
import { TIMELINE_FILTERS, type TimelineFilter } from '../timeline/timeline';
import { sessionInfo } from './session-info';

/**
 * The sidebar's JSON API under /sidebar/api. The rep is always the session's; ids in the path
 * are only what to look at, and every one is checked against what the rep may see.
 */

const MAX_BODY = 16 * 1024;

const NoteBody = z.strictObject({ text: z.string().trim().min(1, '请先写点内容').max(2000, '最多 2000 字'), complaint: z.boolean().default(false) });
const TagsBody = z.strictObject({
  add: z.array(z.string().min(1).max(128)).max(50).default([]),
  remove: z.array(z.string().min(1).max(128)).max(50).default([]),
});
const SnoozeBody = z.strictObject({ preset: z.enum(['1h', 'tomorrow', '3d', '7d']) });
const SignBody = z.strictObject({ url: z.string().max(2048) });
const CloseBody = z.strictObject({
  resolution: z.enum(['resolved', 'refunded', 'compensated', 'unresolved']),
  note: z.string().trim().min(1, '请写下处理结果').max(500, '最多 500 字'),
});

export function apiRoutes(sc: SidebarContext): Router {
  const { deps, profiles } = sc;
  const r = new Router({ prefix: '/sidebar/api' });
  r.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  r.get('/session', async (ctx) => {
    const v = await sc.viewer(ctx);
    ctx.body = sessionInfo(sc, ctx, v);
  });

  r.post('/jssdk/signatures', async (ctx) => {
    await sc.viewer(ctx);
    const { url } = await json(ctx, SignBody);
    ctx.body = await sc.signer.sign(url);
  });

  r.get('/contacts/:id', async (ctx) => {
    const v = await sc.viewer(ctx);
    const visible = await sc.contactAccess(ctx, v, ctx.params.id);
    const view = await profiles.contact(v, visible, ctx.params.id);
    // A linked customer view asks for the session with it: one round trip instead of two.
    ctx.body = ctx.query.session === '1' ? { ...view, session: sessionInfo(sc, ctx, v) } : view;
  });

  r.get('/contacts/:id/timeline', async (ctx) => {
    const v = await sc.viewer(ctx);
    await sc.contactAccess(ctx, v, ctx.params.id);
    const before = typeof ctx.query.before === 'string' && ctx.query.before ? ctx.query.before : undefined;
    const filter = ctx.query.filter;
    if (filter !== undefined && (typeof filter !== 'string' || !(TIMELINE_FILTERS as readonly string[]).includes(filter))) {
      throw new AppError('BAD_TIMELINE_FILTER', `filter must be one of ${TIMELINE_FILTERS.join(', ')} (or left out for everything)`, { status: 400 });
    }
    ctx.body = await profiles.timeline(ctx.params.id, before, (filter as TimelineFilter | undefined) ?? null);
  });

  r.post('/contacts/:id/notes', async (ctx) => {
    const v = await sc.viewer(ctx);
    const visible = await sc.contactAccess(ctx, v, ctx.params.id);
    const body = await json(ctx, NoteBody);
    const now = deps.clock();
    const note = await addNote(deps.db, { externalUserId: ctx.params.id, userId: v.userId, text: body.text, isComplaint: body.complaint, at: now.getTime() });
    // A note marked as a complaint files a confirmed complaint: marketing stops at once (pressure policy).
    if (body.complaint) {
      await sc.judgement.complaints.fileByRep({ externalUserId: ctx.params.id, userId: v.userId, text: body.text, sourceRef: `note:${note.id}` }, now);
    }
    (ctx.state.log ?? deps.log).info({ userId: v.userId, externalUserId: ctx.params.id, complaint: body.complaint }, 'sidebar note added');
    ctx.body = await profiles.contact(v, visible, ctx.params.id);
  });

  r.post('/contacts/:id/tags', async (ctx) => {
    const v = await sc.viewer(ctx);
    const visible = await sc.contactAccess(ctx, v, ctx.params.id);
    const body = await json(ctx, TagsBody);
    const through = visible.find((f) => f.status !== 'ended');
    if (!through) throw new AppError('RELATION_ENDED', '已不是好友，无法修改标签', { status: 409 });
    await editTags(deps, { userId: through.userId, externalUserId: ctx.params.id, add: body.add, remove: body.remove, cause: `sidebar:${ctx.state.reqId}` });
    ctx.body = await profiles.contact(v, visible, ctx.params.id);
  });

  r.post('/contacts/:id/reminders/:rid/:action', async (ctx) => {
    const action = ctx.params.action;
    if (action !== 'done' && action !== 'snooze') return ctx.throw(404);
    const v = await sc.viewer(ctx);
    const visible = await sc.contactAccess(ctx, v, ctx.params.id);
    const body = action === 'snooze' ? await json(ctx, SnoozeBody) : null;
    const rem = await sc.reminders.find(ctx.params.rid);
    if (!rem || rem.externalUserId !== ctx.params.id || !v.scope.includes(rem.userId)) {
      throw new AppError('REMINDER_NOT_FOUND', '没有找到这条提醒', { status: 404 });
    }
    const now = deps.clock();
    try {
      if (body) await sc.reminders.snooze(rem.id, v.userId, snoozeUntil(body.preset, now, deps.config.timezone), now);
      else await sc.reminders.done(rem.id, v.userId, now);
    } catch (err) {
      if (err instanceof RemindersNotAvailable) throw new AppError('REMINDERS_UNAVAILABLE', err.message, { status: 501 });
      throw err;
    }
    ctx.body = await profiles.contact(v, visible, ctx.params.id);
  });

  r.post('/contacts/:id/complaints/:cid/:action', async (ctx) => {
    const action = ctx.params.action;
    if (action !== 'confirm' && action !== 'dismiss' && action !== 'close') return ctx.throw(404);
    const v = await sc.viewer(ctx);
    const visible = await sc.contactAccess(ctx, v, ctx.params.id);
    const body = action === 'close' ? await json(ctx, CloseBody) : null;
    const id = Number(ctx.params.cid);
    const complaint = Number.isSafeInteger(id) ? await sc.judgement.complaints.get(id) : null;
    if (!complaint || complaint.customerId !== ctx.params.id) throw new AppError('COMPLAINT_NOT_FOUND', '没有找到这条投诉', { status: 404 });
    const now = deps.clock();
    if (action === 'confirm') await sc.judgement.complaints.confirm(id, v.userId, now);
    else if (action === 'dismiss') await sc.judgement.complaints.close(id, v.userId, 'not_a_complaint', '', now);
    else await sc.judgement.complaints.close(id, v.userId, body!.resolution, body!.note, now);
    (ctx.state.log ?? deps.log).info({ userId: v.userId, externalUserId: ctx.params.id, complaintId: id, action }, 'sidebar complaint updated');
    ctx.body = await profiles.contact(v, visible, ctx.params.id);
  });

  r.get('/corp-tags', async (ctx) => {
    await sc.viewer(ctx);
    ctx.body = await corpTagGroups(deps);
  });

  r.get('/groups/:chatId', async (ctx) => {
    const v = await sc.viewer(ctx);
    await sc.groupAccess(ctx, v, ctx.params.chatId);
    const g = await profiles.group(ctx.params.chatId, v);
    if (!g) throw new AppError('GROUP_NOT_FOUND', '没有找到这个客户群', { status: 404 });
    ctx.body = g;
  });

  return r;
}

/**
 * A JSON body, validated. Requiring application/json also keeps other sites' plain forms out:
 * a cross-site form cannot send it without a CORS preflight, which we never grant.
 */
export async function json<T extends z.ZodType>(ctx: Koa.Context, schema: T): Promise<z.infer<T>> {
  if (!ctx.is('application/json')) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json', { status: 415 });
  let raw: string;
  try {
    raw = await readBody(ctx, MAX_BODY);
  } catch (err) {
    if (err instanceof BodyTooLarge) throw new AppError('BODY_TOO_LARGE', `The body must be under ${MAX_BODY} bytes`, { status: 413 });
    throw err;
  }
  let data: unknown;
  try {
    data = raw ? JSON.parse(raw) : {};
  } catch {
    throw new AppError('BAD_JSON', 'The body is not valid JSON', { status: 400 });
  }
  const r = schema.safeParse(data);
  if (!r.success) {
    throw new AppError('INVALID_INPUT', r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '), { status: 400 });
  }
  return r.data;
}
