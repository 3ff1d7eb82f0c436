import { shallowRef } from 'vue';
import type { MyRemindersView, SkipReason } from '../../../src/sidebar-api/types';
import { api, ApiError } from '../api/client';
import type { SnoozePreset } from './use-contact-profile';
import { toast } from './use-toast';
import { t } from '../i18n/zh-CN';

/** The rep's own reminders due today or overdue (GET /sidebar/api/my-reminders), and done / snooze / skip. */
export function useMyReminders() {
  const data = shallowRef<MyRemindersView | null>(null);
  const error = shallowRef<string | null>(null);
  const busy = shallowRef(false);

  async function load(): Promise<void> {
    try {
      data.value = await api<MyRemindersView>('/my-reminders');
      error.value = null;
    } catch (err) {
      error.value = err instanceof ApiError ? err.message : t.errorServer;
    }
  }

  async function act(id: string, action: 'done' | 'snooze' | 'skip', body: object, said: string): Promise<void> {
    busy.value = true;
    try {
      data.value = await api<MyRemindersView>(`/my-reminders/${encodeURIComponent(id)}/${action}`, { method: 'POST', body });
      toast(said);
    } catch (err) {
      toast(err instanceof ApiError ? err.message : t.errorServer);
      await load();
    } finally {
      busy.value = false;
    }
  }

  return {
    data, error, busy, load,
    done: (id: string) => act(id, 'done', {}, t.myDoneToast),
    snooze: (id: string, preset: SnoozePreset) => act(id, 'snooze', { preset }, t.mySnoozedToast),
    skip: (id: string, reason: SkipReason) => act(id, 'skip', { reason }, t.mySkippedToast),
  };
}
