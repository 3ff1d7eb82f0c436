import { createHash } from 'node:crypto';
import type { XmlFields } from './xml';

/**
 * The typed form of every callback Fencun receives (API.md section 3). `type` doubles as the
 * inbox `kind` and the handler registry key. Times are WeCom's CreateTime in epoch milliseconds.
 */
export type WecomEvent =
  | ContactEvent
  | ChatEvent
  | TagEvent
  | AppMessage
  | { type: 'enter_agent'; at: number; userId: string; agentId: string; eventKey: string }
  | { type: 'kf_msg_or_event'; at: number; token: string; openKfId: string }
  | { type: 'msgaudit_notify'; at: number; agentId: string }
  | { type: 'app_event'; at: number; event: string; userId: string; agentId: string; eventKey: string }
  | TemplateCardEvent
  | { type: 'unknown'; at: number; msgType: string; event: string; changeType: string };

export interface ContactEvent {
  type:
    | 'add_external_contact'
    | 'add_half_external_contact'
    | 'edit_external_contact'
    | 'del_external_contact'
    | 'del_follow_user'
    | 'transfer_fail'
    | 'msg_audit_approved';
  at: number;
  userId: string;
  externalUserId: string;
  state?: string;
  welcomeCode?: string;
  /** del_external_contact: DELETE_BY_TRANSFER means 在职继承 moved the customer, not a deletion. */
  source?: string;
  /** transfer_fail: customer_refused | customer_limit_exceed. */
  failReason?: string;
}

export interface ChatEvent {
  type: 'external_chat_create' | 'external_chat_update' | 'external_chat_dismiss';
  at: number;
  chatId: string;
  updateDetail?: string;
  joinScene?: number;
  quitScene?: number;
  memChangeCnt?: number;
  memChangeList?: string[];
  lastMemVer?: string;
  curMemVer?: string;
}

export interface TagEvent {
  type: 'external_tag_create' | 'external_tag_update' | 'external_tag_delete' | 'external_tag_shuffle';
  at: number;
  id?: string;
  tagType?: 'tag' | 'tag_group';
  strategyId?: string;
}

export interface AppMessage {
  type: 'app_message';
  at: number;
  msgType: string;
  msgId: string;
  userId: string;
  agentId: string;
  content?: string;
  mediaId?: string;
  picUrl?: string;
}

/** A member tapped a button on an interactive card the app sent (API.md 4.14a). */
export interface TemplateCardEvent {
  type: 'template_card_event';
  at: number;
  userId: string;
  agentId: string;
  /** The button's key. */
  eventKey: string;
  taskId: string;
  cardType: string;
  /** Single-use, 72 h: what update_template_card consumes to show the new state. */
  responseCode: string;
}

export type EventType = WecomEvent['type'];

const CONTACT_CHANGES = new Set([
  'add_external_contact', 'add_half_external_contact', 'edit_external_contact',
  'del_external_contact', 'del_follow_user', 'transfer_fail', 'msg_audit_approved',
]);

/** Past this (or not whole seconds) WeCom's event time is unknown (0), like a missing one. */
const MAX_CREATE_TIME_MS = Date.UTC(2100, 0, 1);

/**
 * CreateTime in epoch milliseconds. Bounded because every reader turns it into a Date: a value
 * past Date's range (or Infinity, or 1e20) would make the timeline and profile fail later.
 */
export function createTimeMs(text: string): number {
  if (!/^\d{1,11}$/.test(text)) return 0;
  const ms = Number(text) * 1000;
  return ms < MAX_CREATE_TIME_MS ? ms : 0;
}

export function toWecomEvent(f: XmlFields): WecomEvent {
  const s = (k: string) => (typeof f[k] === 'string' ? (f[k] as string) : '');
  const opt = (k: string) => (s(k) === '' ? undefined : s(k));
  const optNum = (k: string) => (s(k) === '' ? undefined : Number(s(k)));
  const at = createTimeMs(s('CreateTime'));
  const msgType = s('MsgType');
  const event = s('Event');
  const changeType = s('ChangeType');

  if (msgType !== 'event') {
    return {
      type: 'app_message', at, msgType, msgId: s('MsgId'), userId: s('FromUserName'), agentId: s('AgentID'),
      content: opt('Content'), mediaId: opt('MediaId'), picUrl: opt('PicUrl'),
    };
  }
  if (event === 'change_external_contact' && CONTACT_CHANGES.has(changeType)) {
    return {
      type: changeType as ContactEvent['type'], at, userId: s('UserID'), externalUserId: s('ExternalUserID'),
      state: opt('State'), welcomeCode: opt('WelcomeCode'), source: opt('Source'), failReason: opt('FailReason'),
    };
  }
  if (event === 'change_external_chat' && ['create', 'update', 'dismiss'].includes(changeType)) {
    const list = f.MemChangeList;
    return {
      type: `external_chat_${changeType}` as ChatEvent['type'], at, chatId: s('ChatId'),
      updateDetail: opt('UpdateDetail'), joinScene: optNum('JoinScene'), quitScene: optNum('QuitScene'),
      memChangeCnt: optNum('MemChangeCnt'), memChangeList: Array.isArray(list) ? list : undefined,
      lastMemVer: opt('LastMemVer'), curMemVer: opt('CurMemVer'),
    };
  }
  if (event === 'change_external_tag' && ['create', 'update', 'delete', 'shuffle'].includes(changeType)) {
    const tagType = opt('TagType');
    return {
      type: `external_tag_${changeType}` as TagEvent['type'], at, id: opt('Id'),
      tagType: tagType === 'tag' || tagType === 'tag_group' ? tagType : undefined, strategyId: opt('StrategyId'),
    };
  }
  if (event === 'enter_agent') return { type: 'enter_agent', at, userId: s('FromUserName'), agentId: s('AgentID'), eventKey: s('EventKey') };
  if (event === 'kf_msg_or_event') return { type: 'kf_msg_or_event', at, token: s('Token'), openKfId: s('OpenKfId') };
  if (event === 'msgaudit_notify') return { type: 'msgaudit_notify', at, agentId: s('AgentID') };
  if (event === 'template_card_event') {
    return {
      type: 'template_card_event', at, userId: s('FromUserName'), agentId: s('AgentID'), eventKey: s('EventKey'),
      taskId: s('TaskId'), cardType: s('CardType'), responseCode: s('ResponseCode'),
    };
  }
  if (['subscribe', 'unsubscribe', 'click', 'view'].includes(event)) {
    return { type: 'app_event', at, event, userId: s('FromUserName'), agentId: s('AgentID'), eventKey: s('EventKey') };
  }
  return { type: 'unknown', at, msgType, event, changeType };
}

/**
 * Notifications that only say "this changed, read it again" (the handler re-fetches the truth
 * from WeCom). Their plaintext is nothing but who, what and a CreateTime in whole seconds, so two
 * real edits of one relation in the same second decrypt to the same bytes; only the envelope
 * tells them apart: WeCom encrypts every message with 16 fresh random bytes, and a retry resends
 * the same request (API.md 1.7, "重新发起请求"; the simulator does the same).
 */
const REREAD_EVENTS: Record<string, string[]> = {
  change_external_contact: ['edit_external_contact'],
  change_external_chat: ['update'],
  change_external_tag: ['update', 'shuffle'],
  msgaudit_notify: [''],
};

/**
 * The inbox's unique key (API.md 1.7). A message: its MsgId. An event: every field of the
 * decrypted payload (WeCom advises FromUserName + CreateTime, too coarse for contact events,
 * which all come from `sys`; a State, WelcomeCode, Source or member list also distinguishes two
 * real events), canonicalised so whitespace or element order cannot split one event in two.
 * For the re-read notifications (REREAD_EVENTS: contact edits, chat updates, tag updates and
 * shuffles, archive notices) the ciphertext is part of the key: a byte-identical retry is still
 * one event, two real changes in one second are two. The price, should WeCom ever re-encrypt a
 * retry, is one extra re-read of the same truth (idempotent) rather than a lost edit.
 */
export function dedupeKey(f: XmlFields, encrypted: string): string {
  const msgId = f.MsgId;
  if (typeof msgId === 'string' && msgId !== '') return `msg:${msgId}`;
  const canonical = Object.keys(f).sort().map((k) => `${k}=${canonicalValue(f[k])}`).join('\n');
  const h = createHash('sha256').update(canonical);
  if (isReread(f)) h.update('\nenvelope=' + encrypted);
  return 'evt:' + h.digest('hex');
}

function isReread(f: XmlFields): boolean {
  const changes = typeof f.Event === 'string' ? REREAD_EVENTS[f.Event] : undefined;
  return changes !== undefined && changes.includes(typeof f.ChangeType === 'string' ? f.ChangeType : '');
}

function canonicalValue(v: XmlFields[string]): string {
  if (typeof v === 'string') return JSON.stringify(v.trim());
  return JSON.stringify(v ?? null);
}

/**
 * Events that share an order key are processed strictly in arrival order (an "add" before the
 * "delete" of the same customer); different keys proceed in parallel.
 */
export function orderKey(e: WecomEvent): string | null {
  switch (e.type) {
    case 'add_external_contact':
    case 'add_half_external_contact':
    case 'edit_external_contact':
    case 'del_external_contact':
    case 'del_follow_user':
    case 'transfer_fail':
    case 'msg_audit_approved':
      return `customer:${e.externalUserId}`;
    case 'external_chat_create':
    case 'external_chat_update':
    case 'external_chat_dismiss':
      return `chat:${e.chatId}`;
    case 'external_tag_create':
    case 'external_tag_update':
    case 'external_tag_delete':
    case 'external_tag_shuffle':
      return 'corp-tags';
    case 'app_message':
    case 'enter_agent':
    case 'app_event':
    case 'template_card_event':
      return `member:${e.userId}`;
    case 'kf_msg_or_event':
      return `kf:${e.openKfId}`;
    case 'msgaudit_notify':
      return 'msgaudit';
    case 'unknown':
      return null;
  }
}
