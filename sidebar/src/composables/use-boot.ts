import { shallowRef } from 'vue';
import type { ApiErrorBody, SessionInfo } from '../../../src/sidebar-api/types';
import { api, reauthenticate, setUnauthorizedHandler } from '../api/client';
import { t } from '../i18n/zh-CN';
import { readAppConfig } from '../app-config';
import { BridgeError, currentChat, isInWecom, type ChatContext } from '../wecom/bridge';

export type Screen =
  | { name: 'loading' }
  /** fold: no session yet; the customer view brings it with its first answer (one round trip). */
  | { name: 'contact'; id: string; fold?: boolean }
  | { name: 'group'; id: string }
  | { name: 'reminders' }
  | { name: 'demo' }
  | { name: 'error'; title: string; detail: string; retry: boolean; raw?: string };

/**
 * From page load to a view: who is the rep (session, else OAuth or the demo picker), then which
 * chat the page sits next to (?contact= / ?chat= links, else the WeCom bridge).
 */
export function useBoot() {
  const screen = shallowRef<Screen>({ name: 'loading' });
  const session = shallowRef<SessionInfo | null>(null);
  let demoAvailable = false;

  async function loadSession(): Promise<SessionInfo | null> {
    let res: Response;
    try {
      res = await fetch('/sidebar/api/session', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    } catch {
      screen.value = { name: 'error', title: t.errorTitle, detail: t.errorNetwork, retry: true };
      return null;
    }
    if (res.ok) return (await res.json()) as SessionInfo;
    const body = (await res.json().catch(() => ({}))) as Partial<ApiErrorBody>;
    const details = (body.details ?? {}) as { demo?: boolean };
    demoAvailable = details.demo === true;
    if (res.status === 401 && demoAvailable && !isInWecom()) {
      screen.value = { name: 'demo' };
    } else if (res.status === 401) {
      reauthenticate();
    } else {
      screen.value = { name: 'error', title: t.errorTitle, detail: body.message || t.errorServer, retry: true };
    }
    return null;
  }

  function linked(): { contact: string | null; chat: string | null; reminders: boolean } {
    const q = new URLSearchParams(location.search);
    // ?view=reminders: the workbench (工作台) entry and the reminder bundles' link.
    return { contact: q.get('contact'), chat: q.get('chat'), reminders: q.get('view') === 'reminders' };
  }

  async function route(early: Promise<ChatContext> | null = null): Promise<void> {
    const s = session.value;
    if (!s) return;
    const { contact, chat, reminders } = linked();
    if (reminders) return void (screen.value = { name: 'reminders' });
    if (contact) return void (screen.value = { name: 'contact', id: contact });
    if (chat) return void (screen.value = { name: 'group', id: chat });
    if (!isInWecom() && (s.demo || demoAvailable)) return void (screen.value = { name: 'demo' });
    try {
      const c = await (early ?? currentChat(s));
      screen.value = c.kind === 'contact' ? { name: 'contact', id: c.externalUserId } : { name: 'group', id: c.chatId };
    } catch (err) {
      const e = err instanceof BridgeError ? err : new BridgeError(t.errorBridge, String(err));
      screen.value = { name: 'error', title: e.title, detail: e.detail, retry: false, raw: e.raw && e.raw !== e.detail ? e.raw : undefined };
    }
  }

  async function start(): Promise<void> {
    screen.value = { name: 'loading' };
    setUnauthorizedHandler(() => {
      // A folded first view had no session to lose: the session check decides (demo picker or OAuth).
      if (!session.value) return void loadSession().then((s) => (s ? ((session.value = s), route()) : undefined));
      return session.value.demo && !isInWecom() ? ((session.value = null), (screen.value = { name: 'demo' })) : reauthenticate();
    });
    const app = readAppConfig();
    const { contact, chat, reminders } = linked();
    // A linked customer (?contact=): the view's first answer carries the session, so the page
    // waits for one round trip instead of two in a row.
    if (contact && !reminders) return void (screen.value = { name: 'contact', id: contact, fold: true });
    // Ask the WeCom client which chat we are in while the session is checked: the two round
    // trips overlap instead of adding up (the page is only served to a signed-in rep in WeCom).
    const early = app && isInWecom() && !contact && !chat && !reminders ? currentChat(app) : null;
    early?.catch(() => undefined);
    session.value = await loadSession();
    await route(early);
  }

  function open(kind: 'contact' | 'group', id: string): void {
    history.pushState(null, '', `/sidebar/?${kind === 'contact' ? 'contact' : 'chat'}=${encodeURIComponent(id)}`);
    route();
  }

  function showPicker(): void {
    history.pushState(null, '', '/sidebar/');
    screen.value = { name: 'demo' };
  }

  window.addEventListener('popstate', () => (session.value ? route() : undefined));
  return { screen, session, start, open, showPicker, signedIn: (s: SessionInfo) => (session.value = s) };
}
