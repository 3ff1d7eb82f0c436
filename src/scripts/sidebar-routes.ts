import Router from '@koa/router';
import type Koa from 'koa';
import { findContact, findFollowsOfCustomer } from '../contacts/repository';
import { AppError } from '../errors';
import { pathId, queryText } from '../http/request-input';
import { productName } from '../next-action/wording';
import { addressName } from '../profile/fields';
import { findProfile } from '../profile/repository';
import { findOrdersOfCustomer } from '../orders/repository';
import type { FollowRef, Viewer } from '../sidebar-api/access';
import { json } from '../sidebar-api/api-routes';
import type { SidebarContext } from '../sidebar-api/routes';
import { scriptLibraryFor } from './library';
import type { PlaceholderValues } from './placeholders';
import type { RankContext } from './rank';
import { PersonalScriptBody } from './validate';

/**
 * The 话术 sheet's API under /sidebar/api (the rep is the session's, as everywhere):
 *   GET    /contacts/:id/scripts?q=&category=&kind=&stage=&tier=   suggestions and the library, filled for this customer
 *   POST   /contacts/:id/scripts      save an edited script as the rep's own ({ text, title?, category? })
 *   POST   /scripts/:sid/uses         count one use (after 插入聊天 or 复制)
 *   DELETE /scripts/:sid              delete one of the rep's own
 * kind/stage/tier are what the contact view shows (the card's next action, the stage, the tier):
 * the suggestions then agree with the card the rep is looking at, without judging the customer twice.
 */
export function scriptSidebarRoutes(sc: SidebarContext): Router {
  const { deps } = sc;
  const library = scriptLibraryFor({ db: deps.db, clock: deps.clock, policy: sc.judgement.policy });
  const r = new Router({ prefix: '/sidebar/api' });

  /** What the placeholders say for this customer: never the rep's remark, never a SKU line. */
  async function values(v: Viewer, visible: FollowRef[], externalUserId: string): Promise<PlaceholderValues> {
    const [contact, follows, orders, profile] = await Promise.all([
      findContact(deps.db, externalUserId),
      findFollowsOfCustomer(deps.db, externalUserId),
      findOrdersOfCustomer(deps.db, externalUserId, 20),
      findProfile(deps.db, externalUserId),
    ]);
    const primary = visible.map((f) => follows.find((x) => x.userId === f.userId)).find(Boolean) ?? follows[0];
    const bought = orders.find((o) => o.amount > 0 && o.product);
    return {
      // The 称呼 the rep set, else the configured rule (as the contact view's suggestion does).
      称呼: addressName(profile.salutation, sc.judgement.policy.nextAction.salutation, primary?.remark, contact?.name),
      产品: productName(bought?.product),
      顾问: v.name,
    };
  }

  r.get('/contacts/:id/scripts', async (ctx) => {
    const v = await sc.viewer(ctx);
    const visible = await sc.contactAccess(ctx, v, ctx.params.id);
    const q = queryText(ctx, 'q', 50);
    const category = queryText(ctx, 'category', 16);
    const rank: RankContext = { kind: id(ctx, 'kind'), stage: id(ctx, 'stage'), tier: id(ctx, 'tier') };
    ctx.body = await library.forCustomer(v.userId, await values(v, visible, ctx.params.id), rank, { q, category });
  });

  r.post('/contacts/:id/scripts', async (ctx) => {
    const v = await sc.viewer(ctx);
    const visible = await sc.contactAccess(ctx, v, ctx.params.id);
    const body = await json(ctx, PersonalScriptBody);
    ctx.status = 201;
    ctx.body = await library.savePersonal(v.userId, body, await values(v, visible, ctx.params.id));
    (ctx.state.log ?? deps.log).info({ userId: v.userId }, 'personal script saved');
  });

  r.post('/scripts/:sid/uses', async (ctx) => {
    const v = await sc.viewer(ctx);
    await library.countUse(v.userId, scriptId(ctx));
    ctx.status = 204;
  });

  r.delete('/scripts/:sid', async (ctx) => {
    const v = await sc.viewer(ctx);
    await library.deletePersonal(v.userId, scriptId(ctx));
    ctx.status = 204;
  });

  return r;
}

function id(ctx: Koa.Context, name: string): string | null {
  const v = ctx.query[name];
  if (v === undefined || v === '') return null;
  if (typeof v !== 'string' || !/^[a-z_]{1,32}$/.test(v)) throw new AppError('BAD_QUERY', `${name} must be an id such as post_sale_care`, { status: 400 });
  return v;
}

function scriptId(ctx: Koa.Context): number {
  const n = pathId(ctx.params.sid);
  if (n === null) throw new AppError('SCRIPT_NOT_FOUND', '没有找到这条话术', { status: 404 });
  return n;
}
