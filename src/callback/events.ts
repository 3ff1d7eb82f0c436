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

export type EventType = WecomEvent['type'];

const CONTACT_CHANGES = new Set([
  'add_external_contact', 'add_half_external_contact', 'edit_external_contact',
  'del_external_contact', 'del_follow_user', 'transfer_fail', 'msg_audit_approved',
]);

export function toWecomEvent(f: XmlFields): WecomEvent {
  const s = (k: string) => (typeof f[k] === 'string' ? (f[k] as string) : '');
  const opt = (k: string) => (s(k) === '' ? undefined : s(k));
  const optNum = (k: string) => (s(k) === '' ? undefined : Number(s(k)));
  const at = Number(s('CreateTime')) * 1000 || 0;
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
  if (['subscribe', 'unsubscribe', 'click', 'view', 'template_card_event'].includes(event)) {
    return { type: 'app_event', at, event, userId: s('FromUserName'), agentId: s('AgentID'), eventKey: s('EventKey') };
  }
  return { type: 'unknown', at, msgType, event, changeType };
}

/** Fields that identify one delivery; WeCom's retries repeat them exactly. */
const IDENTITY_FIELDS = [
  'Event', 'ChangeType', 'UpdateDetail', 'FromUserName', 'UserID', 'ExternalUserID', 'ChatId', 'Id', 'TagType',
  'StrategyId', 'CurMemVer', 'Token', 'OpenKfId', 'AgentID', 'EventKey', 'CreateTime',
];

/**
 * The inbox's unique key (API.md 1.7): MsgId for messages; for events WeCom advises
 * FromUserName + CreateTime, which is too coarse for customer-contact events (always from `sys`),
 * so the key covers every identifying field. Hashed to keep it a fixed, indexable length.
 */
export function dedupeKey(f: XmlFields): string {
  const msgId = f.MsgId;
  if (typeof msgId === 'string' && msgId !== '') return `msg:${msgId}`;
  const canonical = IDENTITY_FIELDS.map((k) => `${k}=${typeof f[k] === 'string' ? f[k] : ''}`).join('\n');
  return 'evt:' + createHash('sha256').update(canonical).digest('hex');
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
      return `member:${e.userId}`;
    case 'kf_msg_or_event':
      return `kf:${e.openKfId}`;
    case 'msgaudit_notify':
      return 'msgaudit';
    case 'unknown':
      return null;
  }
}
