import * as ww from '@wecom/jssdk';
import type { JssdkSignatures, SessionInfo } from '../../../src/sidebar-api/types';
import { api } from '../api/client';
import { t } from '../i18n/zh-CN';
import { BRIDGE_TIMEOUT_MS } from './timeouts';

/**
 * The WeCom JS bridge: register with app identity (wx.agentConfig; wx.config too on clients
 * older than 3.0.24, which the SDK decides), then ask which chat the toolbar was opened from.
 * API.md 4.16–4.17.
 */

export type ChatContext = { kind: 'contact'; externalUserId: string } | { kind: 'group'; chatId: string };

export class BridgeError extends Error {
  constructor(
    readonly title: string,
    readonly detail: string,
    readonly raw = '',
  ) {
    super(title);
  }
}

const ua = typeof navigator === 'undefined' ? '' : navigator.userAgent;
const clientVersion = /wxwork\/([\d.]+)/i.exec(ua)?.[1] ?? null;

export function isInWecom(): boolean {
  return clientVersion !== null;
}

/** agentConfig needs WeCom ≥ 2.5.0 (API.md 4.17). */
function isTooOld(version: string): boolean {
  const [a = 0, b = 0] = version.split('.').map(Number);
  return a < 2 || (a === 2 && b < 5);
}

let signatures: Promise<JssdkSignatures> | null = null;
let signedUrl = '';

/** One server call signs both configs for the current URL (the SDK asks for each separately). */
function sign(url: string): Promise<JssdkSignatures> {
  if (!signatures || signedUrl !== url) {
    signedUrl = url;
    signatures = api<JssdkSignatures>('/jssdk/signatures', { method: 'POST', body: { url } });
    signatures.catch(() => (signatures = null));
  }
  return signatures;
}

let registered = false;

export function register(session: Pick<SessionInfo, 'corpId' | 'agentId'>): void {
  if (registered) return;
  registered = true;
  ww.register({
    corpId: session.corpId,
    agentId: session.agentId,
    jsApiList: ['getContext', 'getCurExternalContact', 'getCurExternalChat', 'sendChatMessage'],
    getConfigSignature: async (url) => (await sign(url)).config,
    getAgentConfigSignature: async (url) => (await sign(url)).agentConfig,
  });
}


export class BridgeTimeout extends Error {
  constructor(readonly call: string) {
    super(`${call}: no answer from the WeCom client in ${BRIDGE_TIMEOUT_MS} ms`);
  }
}

function answered<T>(call: string, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new BridgeTimeout(call)), BRIDGE_TIMEOUT_MS)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** Which chat are we next to? Throws BridgeError with what to tell the admin. */
export async function currentChat(session: Pick<SessionInfo, 'corpId' | 'agentId'>): Promise<ChatContext> {
  if (!clientVersion) throw new BridgeError(t.errorNotInWecom, t.errorNotInWecomDetail);
  if (isTooOld(clientVersion)) throw new BridgeError(t.errorOldClient, t.errorOldClientDetail, clientVersion);
  register(session);
  try {
    const { entry } = await answered('getContext', ww.getContext());
    if (entry === 'single_chat_tools' || entry === 'contact_profile') {
      const r = await answered('getCurExternalContact', ww.getCurExternalContact());
      return { kind: 'contact', externalUserId: r.userId };
    }
    if (entry === 'group_chat_tools') {
      const r = await answered('getCurExternalChat', ww.getCurExternalChat());
      return { kind: 'group', chatId: r.chatId };
    }
  } catch (err) {
    throw explain(err);
  }
  throw new BridgeError(t.errorEntry, t.errorEntryDetail);
}

/**
 * Puts text into the chat's input box; the rep still presses send (API.md 4.17). Registers
 * first: a page opened by link (?contact=, ?chat=) never asked the bridge which chat it is in,
 * and the SDK holds an unregistered call forever. Throws BridgeError with a sentence for the rep.
 */
export async function insertIntoChat(text: string, app: Pick<SessionInfo, 'corpId' | 'agentId'> | null): Promise<void> {
  if (!app) throw new BridgeError(t.insertNoConfig, '');
  register(app);
  try {
    await answered('sendChatMessage', ww.sendChatMessage({ msgtype: 'text' as never, enterChat: false, text: { content: text } }));
  } catch (err) {
    throw explainInsert(err);
  }
}

/**
 * Puts a material (image, file, link card, mini-program) into the chat, with the same
 * registration, timeout and explanations as insertIntoChat. `message` is what the server's
 * /materials/:id/message answered: { msgtype, [msgtype]: {...} }.
 */
export async function sendToChat(message: { msgtype: string } & Record<string, unknown>, app: Pick<SessionInfo, 'corpId' | 'agentId'> | null): Promise<void> {
  if (!app) throw new BridgeError(t.insertNoConfig, '');
  register(app);
  try {
    await answered('sendChatMessage', ww.sendChatMessage({ ...message, enterChat: false } as never));
  } catch (err) {
    throw explainInsert(err);
  }
}

/** What went wrong with 插入聊天, in words for the rep (the text is copied as well). */
function explainInsert(err: unknown): BridgeError {
  if (err instanceof BridgeTimeout) return new BridgeError(t.insertTimeout, '', err.message);
  const e = explain(err);
  const m = e.raw.toLowerCase();
  if (m.includes('cancel')) return new BridgeError(t.insertCancelled, '', e.raw);
  if (e.title === t.errorPermission) return new BridgeError(t.insertNoPermission, '', e.raw);
  if (e.title === t.errorOldClient) return new BridgeError(t.insertOldClient, '', e.raw);
  if (e.title === t.errorSignature || e.title === t.errorDomain) return new BridgeError(t.insertNotRegistered, '', e.raw);
  return new BridgeError(t.insertFailedWhy, '', e.raw);
}

/** Maps the bridge's errMsg keywords to what an admin must configure. */
export function explain(err: unknown): BridgeError {
  if (err instanceof BridgeError) return err;
  const msg = String((err as { errMsg?: string; message?: string })?.errMsg ?? (err as Error)?.message ?? err);
  const m = msg.toLowerCase();
  if (m.includes('signature')) return new BridgeError(t.errorSignature, t.errorSignatureDetail, msg);
  if (m.includes('domain') || m.includes('url')) return new BridgeError(t.errorDomain, t.errorDomainDetail, msg);
  if (m.includes('permission') || m.includes('denied') || m.includes('no auth')) return new BridgeError(t.errorPermission, t.errorPermissionDetail, msg);
  if (m.includes('not support') || m.includes('function not exist') || m.includes('not exist')) {
    return new BridgeError(t.errorOldClient, t.errorOldClientDetail, msg);
  }
  if (err instanceof BridgeTimeout) return new BridgeError(t.errorBridgeTimeout, t.errorBridgeTimeoutDetail, msg);
  return new BridgeError(t.errorBridge, msg, msg);
}
