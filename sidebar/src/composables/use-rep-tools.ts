import type { ContactProfileView } from '../../../src/sidebar-api/types';
import type { FollowUpTypeId } from '../../../src/sidebar-api/rep-tools-types';
import { api } from '../api/client';

export interface ProfileEdit {
  salutation?: string | null;
  phone?: string | null;
  birthday?: string | null;
  region?: string | null;
  company?: string | null;
  description?: string | null;
  custom?: Record<string, string | null>;
}

/**
 * The rep's tools on a customer. Like every edit on the page, each answers with the fresh
 * profile, handed to `apply` so the card, the suggestion and the strip change in the same tap.
 */
export function useRepTools(externalUserId: string, apply: (v: ContactProfileView) => void) {
  const path = `/contacts/${encodeURIComponent(externalUserId)}`;
  const send = async (p: Promise<ContactProfileView>) => apply(await p);
  return {
    saveProfile: (edit: ProfileEdit) => send(api(path + '/profile', { method: 'POST', body: edit })),
    addFollowUp: (type: FollowUpTypeId, text: string, nextAt: string | null) =>
      send(api(path + '/follow-ups', { method: 'POST', body: { type, text, nextAt } })),
    setStage: (stage: string | null) => send(api(path + '/sales-stage', { method: 'POST', body: { stage } })),
    overrideTier: (tier: string, reason: string) => send(api(path + '/tier-override', { method: 'POST', body: { tier, reason } })),
    clearOverride: () => send(api(path + '/tier-override', { method: 'DELETE' })),
  };
}
