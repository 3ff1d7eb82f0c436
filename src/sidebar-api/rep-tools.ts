import Router from '@koa/router';
import type Koa from 'koa';
import { z } from 'zod';
import { FollowUps } from '../followups/service';
import { FOLLOW_UP_TYPES } from '../followups/wording';
import { loadProfileConfig, type ProfileConfig } from '../profile/config';
import { ProfileEditor, type Editor } from '../profile/service';
import type { FollowRef, Viewer } from './access';
import { json } from './api-routes';
import type { SidebarContext } from './routes';

/**
 * The rep's tools on a customer (issue 13) under /sidebar/api/contacts/:id — each answers with
 * the fresh profile, like the other edits, so the card and the strip reflect it at once:
 *   POST   profile        称呼, phone, birthday, region, company, description, custom fields
 *   POST   follow-ups     a follow-up record of a kind, optionally with the next follow-up
 *   POST   sales-stage    the sales stage (null clears it)
 *   POST   tier-override  a tier decided by a person, with the reason
 *   DELETE tier-override  back to the scored tier
 */

const text = (max: number) => z.string().max(max * 4, `最多 ${max} 个字`).nullable().optional();

const ProfileBody = z.strictObject({
  salutation: text(12), phone: text(20), birthday: text(12), region: text(30), company: text(20), description: text(150),
  custom: z.record(z.string().max(32), z.union([z.string().max(400), z.number(), z.null()])).optional(),
}).refine((b) => Object.values(b).some((v) => v !== undefined), { message: '没有要修改的资料' });

const FollowUpBody = z.strictObject({
  type: z.enum(FOLLOW_UP_TYPES, { error: '请选择跟进方式：微信、电话、到店或拜访' }),
  text: z.string().trim().min(1, '请写下这次跟进的内容').max(2000, '最多 2000 字'),
  nextAt: z.string().max(40).nullable().optional(),
});

const StageBody = z.strictObject({ stage: z.string().max(32).nullable() });

const OverrideBody = z.strictObject({
  tier: z.string().min(1).max(32),
  reason: z.string().trim().min(2, '请写明调整等级的原因（至少 2 个字）').max(200, '原因最多 200 字'),
});

export function repToolsRoutes(sc: SidebarContext, config: ProfileConfig = loadProfileConfig()): Router {
  const { deps, profiles } = sc;
  const editor = new ProfileEditor({
    db: deps.db, clock: deps.clock, timeZone: deps.config.timezone, log: deps.log, wecom: deps.wecom, judgement: sc.judgement, config,
  });
  // Follow-up reminders are the reminders module's rows whatever the sidebar lists them from.
  const followUps = new FollowUps({ db: deps.db, clock: deps.clock, timeZone: deps.config.timezone });
  const r = new Router({ prefix: '/sidebar/api/contacts/:id' });
  r.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  const open = async (ctx: Koa.Context) => {
    const v = await sc.viewer(ctx);
    const visible = await sc.contactAccess(ctx, v, ctx.params.id);
    return { v, visible, who: editorOf(v, visible) };
  };
  const answer = async (ctx: Koa.Context, v: Viewer, visible: FollowRef[]) => {
    ctx.body = await profiles.contact(v, visible, ctx.params.id);
  };

  r.post('/profile', async (ctx) => {
    const { v, visible, who } = await open(ctx);
    const body = await json(ctx, ProfileBody);
    await editor.save(ctx.params.id, who, body, `sidebar:${ctx.state.reqId}`);
    (ctx.state.log ?? deps.log).info({ userId: v.userId, externalUserId: ctx.params.id, fields: Object.keys(body) }, 'sidebar profile edited');
    await answer(ctx, v, visible);
  });

  r.post('/follow-ups', async (ctx) => {
    const { v, visible } = await open(ctx);
    const body = await json(ctx, FollowUpBody);
    const own = visible.find((f) => f.userId === v.userId);
    const res = await followUps.record(ctx.params.id, v.userId, body, { relationEnded: !!own && own.status === 'ended' });
    (ctx.state.log ?? deps.log).info({ userId: v.userId, externalUserId: ctx.params.id, type: body.type, reminder: res.reminder }, 'sidebar follow-up recorded');
    await answer(ctx, v, visible);
  });

  r.post('/sales-stage', async (ctx) => {
    const { v, visible, who } = await open(ctx);
    const body = await json(ctx, StageBody);
    await editor.setSalesStage(ctx.params.id, who, body.stage);
    await answer(ctx, v, visible);
  });

  r.post('/tier-override', async (ctx) => {
    const { v, visible, who } = await open(ctx);
    const body = await json(ctx, OverrideBody);
    await editor.overrideTier(ctx.params.id, who, body.tier, body.reason);
    (ctx.state.log ?? deps.log).info({ userId: v.userId, externalUserId: ctx.params.id, tier: body.tier }, 'sidebar tier override set');
    await answer(ctx, v, visible);
  });

  r.delete('/tier-override', async (ctx) => {
    const { v, visible } = await open(ctx);
    await editor.clearTierOverride(ctx.params.id);
    await answer(ctx, v, visible);
  });

  return r;
}

/** WeCom's remark fields live on a relation: the viewer's own live one, else a live one they may see. */
function editorOf(v: Viewer, visible: FollowRef[]): Editor {
  const through = visible.find((f) => f.status !== 'ended');
  return { userId: v.userId, name: v.name, throughUserId: through?.userId ?? null };
}
