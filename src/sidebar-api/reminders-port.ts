/**
 * What the sidebar needs from care reminders (capability 7): the open reminders on a customer
 * for the reps the viewer may act for, and done / snooze. The reminders module implements it;
 * until it is wired, `noReminders` shows none and refuses actions with a clear error.
 */

export interface SidebarReminder {
  id: string;
  externalUserId: string;
  /** The rep who owns it. */
  userId: string;
  title: string;
  dueAt: Date;
  /** A 话术 to suggest with it, if the rule has one. */
  message?: string | null;
  /** What made it (e.g. post_sale_care): such a reminder is the suggestion of that kind, not a second one. */
  kind?: string | null;
}

export interface ReminderSource {
  /** Open (not done, not skipped) reminders on this customer owned by any of `userIds`, due or not, earliest due first. */
  openFor(externalUserId: string, userIds: string[], now: Date): Promise<SidebarReminder[]>;
  find(id: string): Promise<SidebarReminder | null>;
  done(id: string, byUserId: string, now: Date): Promise<void>;
  snooze(id: string, byUserId: string, until: Date, now: Date): Promise<void>;
}

export class RemindersNotAvailable extends Error {}

export const noReminders: ReminderSource = {
  openFor: async () => [],
  find: async () => null,
  done: async () => {
    throw new RemindersNotAvailable('reminders are not wired into the sidebar');
  },
  snooze: async () => {
    throw new RemindersNotAvailable('reminders are not wired into the sidebar');
  },
};
