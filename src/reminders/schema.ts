import { z } from 'zod';

/**
 * Shape of config/reminders.json: which care rules run and their timings. 话术 templates, the
 * post-sale steps and the revisit cadence per tier are in next-action.json, so the sidebar's
 * suggestions and the reminders never say two different things.
 */

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day such as 09:00');
const leadDays = z.number().int('must be whole days such as 1').min(0, 'must be 0 or more days').max(14, 'must be at most 14 days');
const tierList = z.array(z.string()).min(1, 'must list at least one tier id, e.g. ["core","key"]');
const toggle = { enabled: z.boolean({ error: 'must be true or false' }) };

export const RemindersConfigSchema = z.strictObject({
  $comment: z.string().optional(),
  /** When a rep works: reminders fall due only inside these hours, on these ISO weekdays (1 = Monday). */
  workHours: z.strictObject({
    days: z.array(z.number().int().min(1, 'must be an ISO weekday 1–7 (1 = Monday)').max(7, 'must be an ISO weekday 1–7 (1 = Monday)'))
      .min(1, 'must list at least one work day, e.g. [1,2,3,4,5]'),
    start: hhmm,
    end: hhmm,
  }).refine((w) => w.start < w.end, { message: 'start must be before end (work hours within one day, e.g. 09:00–18:00)', path: ['end'] }),
  /**
   * Reminder bundles (src/reminders/delivery.ts): at each slot (corp time, on work days, inside
   * work hours) one template card per rep with at most maxItems reminders. WeCom allows 6 buttons
   * on a card and each item has two (done, snooze), hence at most 3.
   */
  delivery: z.strictObject({
    enabled: z.boolean({ error: 'must be true or false' }),
    slots: z.array(hhmm).min(1, 'must list at least one time of day, e.g. ["09:30","14:00"]').max(8, 'must list at most 8 slots a day'),
    maxItems: z.number().int('must be a whole number').min(1, 'must be at least 1').max(3, 'must be at most 3 (a WeCom card has at most 6 buttons: done and snooze per item)'),
  }).default({ enabled: true, slots: ['09:30', '14:00'], maxItems: 3 }),
  rules: z.strictObject({
    postSale: z.strictObject(toggle),
    revisit: z.strictObject(toggle),
    /** A birthday reminder is made this many days before the day and falls due on the day. */
    birthday: z.strictObject({ ...toggle, leadDays }),
    anniversary: z.strictObject({ ...toggle, leadDays }),
    /** Dormant customers of these tiers get a personal wake-up (never a campaign). */
    dormantWakeUp: z.strictObject({ ...toggle, tiers: tierList }),
    /** At-risk customers of these tiers get a personal touch. */
    churnRisk: z.strictObject({ ...toggle, tiers: tierList }),
    /** The customer wrote and nobody answered within the tier's response target. */
    unansweredSla: z.strictObject({
      ...toggle,
      responseTargetMinutes: z.record(z.string(), z.number().int('must be whole minutes such as 60').min(1, 'must be at least 1 minute')),
    }),
    /** A confirmed complaint with no reply from us this many hours after it was confirmed. */
    complaintFollowUp: z.strictObject({ ...toggle, afterHours: z.number().min(1, 'must be at least 1 hour').max(24 * 14, 'must be at most 336 hours') }),
  }),
}).superRefine((c, ctx) => {
  // A bundle outside work hours would reach a rep at home: every slot lies inside them.
  c.delivery.slots.forEach((s, i) => {
    if (s < c.workHours.start || s >= c.workHours.end) {
      ctx.addIssue({ code: 'custom', path: ['delivery', 'slots', i], message: `must lie inside workHours (${c.workHours.start}–${c.workHours.end})` });
    }
  });
});

export type RemindersConfig = z.infer<typeof RemindersConfigSchema>;
