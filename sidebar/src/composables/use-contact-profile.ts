import type { ComplaintResolution, ContactProfileView } from '../../../src/sidebar-api/types';
import { api } from '../api/client';
import { useResource } from './use-resource';

export type SnoozePreset = '1h' | 'tomorrow' | '3d' | '7d';

/**
 * The single-chat profile and the edits a rep makes from it. Every edit answers with the fresh
 * profile, so the next action and the pressure line reflect it at once (a complaint note turns
 * marketing off in the same tap).
 */
export function useContactProfile(externalUserId: string) {
  const path = `/contacts/${encodeURIComponent(externalUserId)}`;
  const profile = useResource(() => api<ContactProfileView>(path));

  async function apply(p: Promise<ContactProfileView>): Promise<void> {
    profile.set(await p);
  }

  return {
    ...profile,
    addNote: (text: string, complaint: boolean) => apply(api(path + '/notes', { method: 'POST', body: { text, complaint } })),
    setTags: (add: string[], remove: string[]) => apply(api(path + '/tags', { method: 'POST', body: { add, remove } })),
    confirmComplaint: (id: string) => apply(api(`${path}/complaints/${encodeURIComponent(id)}/confirm`, { method: 'POST', body: {} })),
    dismissComplaint: (id: string) => apply(api(`${path}/complaints/${encodeURIComponent(id)}/dismiss`, { method: 'POST', body: {} })),
    closeComplaint: (id: string, resolution: ComplaintResolution, note: string) =>
      apply(api(`${path}/complaints/${encodeURIComponent(id)}/close`, { method: 'POST', body: { resolution, note } })),
    reminderDone: (id: string) => apply(api(`${path}/reminders/${encodeURIComponent(id)}/done`, { method: 'POST', body: {} })),
    reminderSnooze: (id: string, preset: SnoozePreset) =>
      apply(api(`${path}/reminders/${encodeURIComponent(id)}/snooze`, { method: 'POST', body: { preset } })),
  };
}
