import { onMounted, ref, shallowRef, watch } from 'vue';
import type { ChatMaterialMessage, MaterialLibraryView } from '../../../src/materials/types';
import type { ScriptLibraryView, ScriptView } from '../../../src/scripts/types';
import { api } from '../api/client';
import { readAppConfig } from '../app-config';
import { tl } from '../i18n/library';
import { BridgeError, isInWecom, sendToChat } from '../wecom/bridge';
import { toast } from './use-toast';

/** What the contact view knows that ranks the suggestions: the card's next action, stage, tier. */
export interface ScriptRank {
  kind: string | null;
  stage: string | null;
  tier: string | null;
}

function query(p: Record<string, string | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(p)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * A library sheet's search box and category: the first load when the sheet opens, another 250 ms
 * after the rep stops typing (not one per keystroke), and one at once when a category is picked.
 */
export function useLibraryFilter(load: (q: string, category: string | null) => Promise<void>) {
  const q = ref('');
  const category = ref<string | null>(null);
  let timer: ReturnType<typeof setTimeout> | undefined;
  onMounted(() => load('', null));
  watch(q, () => {
    clearTimeout(timer);
    timer = setTimeout(() => load(q.value.trim(), category.value), 250);
  });
  function pick(c: string | null): void {
    category.value = c;
    load(q.value.trim(), c);
  }
  return { q, category, pick };
}

/** The 话术 sheet's data: one request per search or category, the last answer wins. */
export function useScripts(externalUserId: string, rank: ScriptRank) {
  const data = shallowRef<ScriptLibraryView | null>(null);
  const failed = ref(false);
  let seq = 0;
  async function load(q: string, category: string | null): Promise<void> {
    const mine = ++seq;
    try {
      const v = await api<ScriptLibraryView>(`/contacts/${encodeURIComponent(externalUserId)}/scripts${query({ q, category, ...rank })}`);
      if (mine === seq) (data.value = v), (failed.value = false);
    } catch (err) {
      if (mine === seq) (failed.value = true), toast((err as Error).message);
    }
  }
  /** Inserted or copied: either way the script was used. Counting must never bother the rep. */
  function used(s: ScriptView): void {
    api(`/scripts/${s.id}/uses`, { method: 'POST', body: {} }).catch(() => undefined);
  }
  function saveMine(text: string, from: ScriptView): Promise<ScriptView> {
    return api<ScriptView>(`/contacts/${encodeURIComponent(externalUserId)}/scripts`, { method: 'POST', body: { text, from: from.id } });
  }
  return { data, failed, load, used, saveMine };
}

/** The 素材 sheet's data and the send: the server prepares the content, the JS-SDK puts it in the chat. */
export function useMaterials() {
  const data = shallowRef<MaterialLibraryView | null>(null);
  const failed = ref(false);
  const sending = ref<number | null>(null);
  let seq = 0;
  async function load(q: string, category: string | null): Promise<void> {
    const mine = ++seq;
    try {
      const v = await api<MaterialLibraryView>(`/materials${query({ q, category })}`);
      if (mine === seq) (data.value = v), (failed.value = false);
    } catch (err) {
      if (mine === seq) (failed.value = true), toast((err as Error).message);
    }
  }
  async function send(id: number): Promise<void> {
    if (sending.value !== null) return;
    sending.value = id;
    try {
      const message = await api<ChatMaterialMessage>(`/materials/${id}/message`, { method: 'POST', body: {} });
      if (!isInWecom()) return toast(tl.demoSent);
      await sendToChat(message as ChatMaterialMessage & Record<string, unknown>, readAppConfig());
      toast(tl.sentToChat);
      api(`/materials/${id}/uses`, { method: 'POST', body: {} }).catch(() => undefined);
    } catch (err) {
      const why = err instanceof BridgeError ? err.title : (err as Error).message || tl.sendFailed;
      toast(why, 6000);
    } finally {
      sending.value = null;
    }
  }
  return { data, failed, sending, load, send };
}
