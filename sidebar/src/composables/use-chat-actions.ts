import { ref } from 'vue';
import { readAppConfig } from '../app-config';
import { t } from '../i18n/zh-CN';
import { BridgeError, insertIntoChat, isInWecom } from '../wecom/bridge';
import { toast } from './use-toast';

/** Copy to the clipboard, with the old textarea trick where the async clipboard is missing. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const el = document.createElement('textarea');
    el.value = text;
    el.setAttribute('readonly', '');
    el.style.position = 'fixed';
    el.style.opacity = '0';
    document.body.appendChild(el);
    el.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    el.remove();
    return ok;
  }
}

/**
 * 插入聊天 puts the text in WeCom's input box; outside WeCom (demo) it copies instead. While the
 * bridge works the button says so (`inserting`); when it fails or does not answer in time the
 * text is copied and the rep is told why and what to do (long-press the input box, paste).
 */
export function useChatActions() {
  const inserting = ref(false);
  async function insert(text: string): Promise<void> {
    if (!isInWecom()) {
      await copyText(text);
      return toast(t.demoInserted);
    }
    if (inserting.value) return;
    inserting.value = true;
    try {
      await insertIntoChat(text, readAppConfig());
      toast(t.inserted);
    } catch (err) {
      const why = err instanceof BridgeError ? err.title : t.insertFailedWhy;
      if (why === t.insertCancelled) return;
      const copied = await copyText(text);
      toast(`${why}。${copied ? t.insertCopiedInstead : t.insertCopyFailed}`, 6000);
    } finally {
      inserting.value = false;
    }
  }
  async function copy(text: string): Promise<void> {
    toast((await copyText(text)) ? t.copied : t.copyFailed);
  }
  return { insert, copy, inserting };
}
