import { t } from '../i18n/zh-CN';
import { insertIntoChat, isInWecom } from '../wecom/bridge';
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

/** 插入聊天 puts the text in WeCom's input box; outside WeCom (demo) it copies instead. */
export function useChatActions() {
  async function insert(text: string): Promise<void> {
    if (!isInWecom()) {
      await copyText(text);
      return toast(t.demoInserted);
    }
    try {
      await insertIntoChat(text);
      toast(t.inserted);
    } catch {
      await copyText(text);
      toast(t.insertFailed);
    }
  }
  async function copy(text: string): Promise<void> {
    toast((await copyText(text)) ? t.copied : t.errorServer);
  }
  return { insert, copy };
}
