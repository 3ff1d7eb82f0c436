import { createHash } from 'node:crypto';
import type { TemplateCardEvent } from '../callback/events';
import type { HandlerContext } from '../inbox/handlers';
import { enqueue } from '../outbox/service';
import { ZoneCalendar } from '../policy/zone-calendar';
import type { Services } from '../services';
import { countOpenDue, itemsByIds, markDone, markSnoozed } from './bundle-repository';
import { bundleCard, bundleKey, cardItemIds, parseButtonKey, slotOfTaskId, taskIdFor } from './card';
import { cardItemOf, sidebarLinks, slotHeading, snoozeFromCard } from './delivery';
import { compileWorkHours } from './rules';

/**
 * A rep taps 完成 or 明天再办 on a reminder bundle (the template_card_event callback, API.md
 * 4.14a): the reminder is marked done or snoozed to the next work morning, and — in the same
 * transaction — an update_template_card intent is enqueued that replaces the card with its new
 * state, using the tap's single-use response_code. The outbox sends it (nothing here calls WeCom).
 *
 * Which card: the TaskId names the slot and the rep, so the bundle's own outbox intent (the card as
 * sent) says which reminders the card lists. A tap is honoured only for a reminder on that card
 * and owned by the member who tapped. Idempotent: a retried event finds the reminder already
 * done (or snoozed to the same instant, computed from the tap's time) and the card update's key
 * (from the response code) already taken.
 */
export function registerReminderCardEvents(services: Services): void {
  services.handlers.on('template_card_event', (ctx) => handleCardTap(services, ctx));
}

/** A response_code may be used within 72 hours; leave an hour's margin for the two clocks. */
const RESPONSE_CODE_TTL_MS = 71 * 3_600_000;

export async function handleCardTap(services: Services, { db, event, now, log }: HandlerContext<TemplateCardEvent>): Promise<void> {
  const tap = parseButtonKey(event.eventKey);
  const slotAt = slotOfTaskId(event.taskId, event.userId);
  if (!tap || slotAt === null) {
    log.info({ taskId: event.taskId, eventKey: event.eventKey, userId: event.userId }, 'card tap: not a reminder bundle of this member; ignored');
    return;
  }
  const sent = await services.outbox.repo.findByKey(db, bundleKey(event.userId, slotAt));
  const card = sent?.body.kind === 'app_message' && sent.body.message.msgtype === 'template_card' ? sent.body.message.template_card : null;
  const ids = card ? cardItemIds(card) : [];
  if (!ids.includes(tap.reminderId)) {
    log.warn({ taskId: event.taskId, reminderId: tap.reminderId, userId: event.userId }, 'card tap: the reminder is not on that bundle; ignored');
    return;
  }
  const { reminders: cfg, nextAction } = services.judgement.policy;
  const cal = new ZoneCalendar(services.config.timezone);
  const work = compileWorkHours(cfg.workHours);
  // The tap's own time decides (a retry the next day snoozes to the same morning).
  const at = event.at || now.getTime();
  await db.transaction(async (tx) => {
    const [r] = await itemsByIds(tx, [tap.reminderId]);
    if (!r || r.userId !== event.userId) return;
    const changed = tap.action === 'done'
      ? await markDone(tx, r.id, event.userId, at)
      : await markSnoozed(tx, r.id, snoozeFromCard(at, work, cal), now.getTime());
    const items = (await itemsByIds(tx, ids)).map((x) => cardItemOf(x, slotAt, at, cal, nextAction.salutation));
    const more = await countOpenDue(tx, event.userId, slotAt, ids);
    const templateCard = bundleCard({
      taskId: taskIdFor(event.userId, slotAt), heading: slotHeading(slotAt, cal), items, more, ...sidebarLinks(services.config.publicBaseUrl),
    });
    if (!event.responseCode) {
      log.warn({ reminderId: r.id }, 'card tap without a ResponseCode: the reminder is updated, the card cannot be');
      return;
    }
    await enqueue(tx, {
      kind: 'card_update', toUser: event.userId, update: { responseCode: event.responseCode, templateCard },
      key: `reminder-card:${createHash('sha256').update(event.responseCode).digest('hex').slice(0, 40)}`,
      dueAt: now.getTime(), expiresAt: at + RESPONSE_CODE_TTL_MS, origin: 'reminders',
    }, now.getTime());
    log.info({ reminderId: r.id, action: tap.action, changed, userId: event.userId }, 'card tap: reminder updated from the bundle card');
  });
}
