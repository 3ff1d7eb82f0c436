import type { ComplaintResolution, ContactProfileView, SessionInfo } from '../../../src/sidebar-api/types';
import { api, ApiError } from '../api/client';
import { useResource } from './use-resource';

export type SnoozePreset = '1h' | 'tomorrow' | '3d' | '7d';

/**
 * The single-chat profile and the edits a rep makes from it. Every edit answers with the fresh
 * profile, so the next action and the pressure line reflect it at once (a complaint note turns
 * marketing off in the same tap).
 */
export function useContactProfile(externalUserId: string, onSession?: (s: SessionInfo) => void) {
  const path = `/contacts/${encodeURIComponent(externalUserId)}`;
  // With onSession, the first load brings the session too (?session=1): one round trip for a linked view.
  let fold = !!onSession;
  const profile = useResource(async () => {
    if (!fold) return api<ContactProfileView>(path);
    fold = false;
    try {
      const v = await api<ContactProfileView>(path + '?session=1');
      if (v.session) onSession!(v.session);
      return v;
    } catch (err) {
      // The customer cannot be shown (403, syncing…) but the rep is signed in: the page still
      // needs the session (the demo bar, later navigation). A 401 is handled by the client.
      if (!(err instanceof ApiError) || err.status !== 401) api<SessionInfo>('/session').then(onSession!, () => undefined);
      throw err;
    }
  });

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
