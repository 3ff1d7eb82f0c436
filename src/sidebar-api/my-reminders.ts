import Router from '@koa/router';
import { z } from 'zod';
import { AppError } from '../errors';
import { addressName } from '../profile/fields';
import { itemsByIds, markDone, markSkipped, markSnoozed, openOfRep } from '../reminders/bundle-repository';
import { json } from './api-routes';
import { Formatter } from './format';
import type { SidebarContext } from './routes';
import { snoozeUntil } from './snooze';
import type { MyReminderView, MyRemindersView, SkipReason } from './types';

/**
 * "My reminders" (capability 7): the list a rep sees when opening Fencun from the workbench (工作台)
 * or from a reminder bundle rather than next to a chat — their own open reminders due today or
 * overdue, earliest first, each opening the customer; done, snooze, or skip with a reason.
 * Only the rep's own reminders: a supervisor's team has its digest.
 */

/** Why a rep skips a reminder (stored as reminders.closed_reason); the labels the page shows. */
export const SKIP_REASONS: Record<SkipReason, string> = {
  already_contacted: '已经联系过了',
  not_needed: '客户现在不需要',
  not_mine: '不是我负责的客户',
  customer_unreachable: '联系不上客户',
};

const LIST_LIMIT = 200;
const SnoozeBody = z.strictObject({ preset: z.enum(['1h', 'tomorrow', '3d', '7d']) });
const SkipBody = z.strictObject({
  reason: z.enum(Object.keys(SKIP_REASONS) as [SkipReason, ...SkipReason[]], { error: `reason must be one of ${Object.keys(SKIP_REASONS).join(', ')}` }),
});

export type { MyReminderView, MyRemindersView, SkipReason };

export function myRemindersRoutes(sc: SidebarContext): Router {
  const { deps } = sc;
  const r = new Router({ prefix: '/sidebar/api/my-reminders' });
  r.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  const list = async (userId: string): Promise<MyRemindersView> => {
    const now = deps.clock().getTime();
    const f = new Formatter(deps.config.timezone, now);
    const { dayStart, dayEnd } = f.cal.windows(now);
    const rows = await openOfRep(deps.db, userId, dayEnd, LIST_LIMIT);
    const rule = sc.judgement.policy.nextAction.salutation;
    const items = rows.map((x): MyReminderView => ({
      id: String(x.id), externalUserId: x.externalUserId, customer: addressName(x.salutation, rule, x.remark, x.name) || '客户', title: x.title,
      reason: x.reason, message: x.message, dueAt: new Date(x.dueAt).toISOString(),
      dueLabel: x.dueAt <= now ? `${f.past(x.dueAt)} 到期` : `${f.when(x.dueAt)} 到期`, overdue: x.dueAt < dayStart,
    }));
    const overdue = items.filter((i) => i.overdue).length;
    return {
      today: items.length - overdue, overdue, items,
      skipReasons: (Object.keys(SKIP_REASONS) as SkipReason[]).map((id) => ({ id, label: SKIP_REASONS[id] })),
    };
  };

  r.get('/', async (ctx) => {
    const v = await sc.viewer(ctx);
    ctx.body = await list(v.userId);
  });

  r.post('/:rid/:action', async (ctx) => {
    const action = ctx.params.action;
    if (action !== 'done' && action !== 'snooze' && action !== 'skip') {
      throw new AppError('UNKNOWN_ACTION', 'action must be done, snooze or skip', { status: 404 });
    }
    const v = await sc.viewer(ctx);
    const snooze = action === 'snooze' ? await json(ctx, SnoozeBody) : null;
    const skip = action === 'skip' ? await json(ctx, SkipBody) : null;
    const id = /^\d{1,15}$/.test(ctx.params.rid) ? Number(ctx.params.rid) : NaN;
    const [rem] = Number.isSafeInteger(id) ? await itemsByIds(deps.db, [id]) : [];
    if (!rem || rem.userId !== v.userId) throw new AppError('REMINDER_NOT_FOUND', '没有找到这条提醒', { status: 404 });
    if (rem.status !== 'open') throw new AppError('REMINDER_NOT_OPEN', '这条提醒已经处理过了', { status: 409 });
    const now = deps.clock();
    await deps.db.transaction(async (tx) => {
      if (snooze) await markSnoozed(tx, rem.id, snoozeUntil(snooze.preset, now, deps.config.timezone).getTime(), now.getTime());
      else if (skip) await markSkipped(tx, rem.id, v.userId, skip.reason, now.getTime());
      else await markDone(tx, rem.id, v.userId, now.getTime());
    });
    (ctx.state.log ?? deps.log).info({ userId: v.userId, reminderId: rem.id, action, reason: skip?.reason }, 'my reminders: reminder updated');
    ctx.body = await list(v.userId);
  });

  return r;
}
