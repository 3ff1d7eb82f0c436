import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Job, JobSummary } from '../jobs/job';
import type { SalutationRule } from '../next-action/wording';
import { addressName } from '../profile/fields';
import { enqueue } from '../outbox/service';
import { DEFAULT_CONFIG_DIR } from '../policy/config';
import { formatDateZh, formatWhenZh } from '../policy/zh';
import { parseClock, ZoneCalendar } from '../policy/zone-calendar';
import type { Services } from '../services';
import { snoozeUntil } from '../sidebar-api/snooze';
import { openDueByRep, type BundleItem } from './bundle-repository';
import { bundleCard, bundleKey, MAX_CARD_ITEMS, taskIdFor, type CardItem } from './card';
import { compileWorkHours, workFit, type WorkHours } from './rules';
import { RemindersConfigSchema, type RemindersConfig } from './schema';

/**
 * Reminder delivery (capability 7): at each work slot (config/reminders.json delivery.slots,
 * default 09:30 and 14:00 corp time, on workHours.days) every rep with open reminders due by the
 * slot gets ONE app message — a template card listing at most delivery.maxItems of them, most
 * overdue first, "还有 M 条" for the rest, each with done / snooze buttons (card-events.ts) and a
 * link to the sidebar's reminder list. Never one message per reminder.
 *
 * - One bundle per rep per slot: the outbox key reminders:<rep>:<slot instant> is taken once,
 *   whoever runs the slot (two instances, a takeover, a catch-up, `jobs run`).
 * - Overdue reminders are carried: a bundle lists every open reminder due by its slot, so one not
 *   done by the next slot is in the next bundle too, marked 逾期 (due before the slot's local day).
 * - catchUp: a slot missed while no instance ran (a deploy at 09:20 that came up at 10:15) is still
 *   sent when an instance starts; the intent expires at the end of that day's work hours, so a
 *   catch-up after hours is recorded by the outbox as skipped (expired) rather than reaching a rep
 *   at night — its reminders go in the next bundle.
 */
export const reminderBundles: Job = {
  name: 'reminder-bundles',
  description: 'Send each rep one bundled app message (template card) of their open reminders at each work slot',
  // Read when the runner starts, from config/reminders.json (delivery.slots, workHours.days).
  get schedule() {
    return bundleScheduleFromFile();
  },
  catchUp: true,
  run: ({ now, services }) => deliverBundles(services, now),
};

/**
 * A cron expression firing at every slot on the work days. Slots at different minutes share one
 * expression (09:30 and 14:00 → minutes 0,30 of hours 9,14), so it also fires at 09:00 and 14:30:
 * such a run finds no slot of its own (09:00) or the slot already sent (14:30) and does nothing.
 */
export function bundleSchedule(c: RemindersConfig): string {
  const times = c.delivery.slots.map(parseClock);
  const sorted = (xs: number[]) => [...new Set(xs)].sort((a, b) => a - b).join(',');
  return `${sorted(times.map((t) => t % 60))} ${sorted(times.map((t) => Math.floor(t / 60)))} * * ${sorted(c.workHours.days.map((d) => d % 7))}`;
}

function bundleScheduleFromFile(): string {
  try {
    const r = RemindersConfigSchema.safeParse(JSON.parse(readFileSync(path.join(DEFAULT_CONFIG_DIR, 'reminders.json'), 'utf8')));
    if (r.success) return bundleSchedule(r.data);
  } catch {
    // Start-up validation (loadPolicyConfig) names what is wrong with the file.
  }
  return DEFAULT_BUNDLE_SCHEDULE;
}

/** The shipped slots (09:30, 14:00 on Monday–Friday). */
const DEFAULT_BUNDLE_SCHEDULE = '0,30 9,14 * * 1,2,3,4,5';

/** The latest delivery slot at or before `now` on its local day, while that day's work hours last; null otherwise. */
export function slotAtOrBefore(now: number, slots: string[], work: WorkHours, cal: ZoneCalendar): number | null {
  if (!work.days.has(cal.weekday(now))) return null;
  const minute = cal.minuteOfDay(now);
  if (minute >= work.end) return null;
  const passed = slots.map(parseClock).filter((m) => m <= minute);
  return passed.length ? cal.instantOnLocalDay(cal.localDay(now), Math.max(...passed)) : null;
}

/** The sidebar addresses a bundle links to (the page is served at PUBLIC_BASE_URL/sidebar/). */
export function sidebarLinks(publicBaseUrl: string): { listUrl: string; customerUrl: (id: string) => string } {
  return {
    listUrl: `${publicBaseUrl}/sidebar/?view=reminders`,
    customerUrl: (id) => `${publicBaseUrl}/sidebar/?contact=${encodeURIComponent(id)}`,
  };
}

/**
 * A reminder as the card of slot `slotAt` shows it: open and due by the slot, done, skipped,
 * closed, or snoozed (still open, due again after the slot).
 */
export function cardItemOf(r: BundleItem, slotAt: number, now: number, cal: ZoneCalendar, rule: SalutationRule): CardItem {
  const state = r.status === 'done' ? 'done' : r.status === 'skipped' ? 'skipped' : r.status !== 'open' ? 'closed' : r.dueAt > slotAt ? 'snoozed' : 'open';
  return {
    id: r.id, externalUserId: r.externalUserId, customer: addressName(r.salutation, rule, r.remark, r.name) || '客户', title: r.title,
    overdue: r.dueAt < cal.windows(slotAt).dayStart, state, ...(state === 'snoozed' ? { until: formatWhenZh(r.dueAt, now, cal) } : {}),
  };
}

/** "3月2日 09:30". */
export function slotHeading(slotAt: number, cal: ZoneCalendar): string {
  const m = cal.minuteOfDay(slotAt);
  return `${formatDateZh(slotAt, cal)} ${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/** When a card's "明天再办" brings a reminder back: the next day's work start, or the next work day's. */
export function snoozeFromCard(at: number, work: WorkHours, cal: ZoneCalendar): number {
  return workFit(snoozeUntil('tomorrow', new Date(at), cal.timeZone).getTime(), work, cal);
}

export async function deliverBundles(services: Services, now: Date): Promise<JobSummary> {
  const { reminders: cfg, nextAction } = services.judgement.policy;
  if (!cfg.delivery.enabled) return { skipped: 'delivery disabled in config/reminders.json' };
  const t = now.getTime();
  const cal = new ZoneCalendar(services.config.timezone);
  const work = compileWorkHours(cfg.workHours);
  const slotAt = slotAtOrBefore(t, cfg.delivery.slots, work, cal);
  if (slotAt === null) return { skipped: 'no delivery slot at this time (outside work days or hours, or before the first slot)' };
  const workEnd = cal.instantOnLocalDay(cal.localDay(slotAt), work.end);
  const links = sidebarLinks(services.config.publicBaseUrl);
  const max = Math.min(cfg.delivery.maxItems, MAX_CARD_ITEMS);
  const byRep = await openDueByRep(services.db, slotAt);
  const out = { slot: new Date(slotAt).toISOString(), reps: byRep.size, enqueued: 0, existing: 0, reminders: 0, overdue: 0 };
  for (const [userId, due] of byRep) {
    const items = due.slice(0, max).map((r) => cardItemOf(r, slotAt, t, cal, nextAction.salutation));
    out.reminders += due.length;
    out.overdue += due.filter((r) => r.dueAt < cal.windows(slotAt).dayStart).length;
    const card = bundleCard({ taskId: taskIdFor(userId, slotAt), heading: slotHeading(slotAt, cal), items, more: due.length - items.length, ...links });
    const r = await services.db.transaction((tx) => enqueue(tx, {
      kind: 'app_message', toUser: userId, message: { msgtype: 'template_card', template_card: card },
      key: bundleKey(userId, slotAt), dueAt: t, expiresAt: workEnd, origin: 'reminders',
    }, t));
    if (r.created) out.enqueued++;
    else out.existing++;
  }
  return out;
}
