import type { AppMessagePayload, MsgAttachment, TemplateCardUpdate, WebhookMessage } from '../wecom/requests';
import type { TouchCategory } from '../touches/repository';

/**
 * A send intent: one message Fencun has decided to send, written in the same transaction as the
 * decision (see service.ts). The worker is the only code that sends it.
 */
export type OutboxKind = 'app_message' | 'mass_task' | 'welcome' | 'robot' | 'card_update';

export const OUTBOX_KINDS: OutboxKind[] = ['app_message', 'mass_task', 'welcome', 'robot', 'card_update'];

/**
 * pending: waiting for its due time (or its sender's pace); running: claimed under a lease to send;
 * awaiting: a mass task WeCom created, waiting for the member to send it (polled for results);
 * polling: an awaiting task claimed under a lease to read its results;
 * sent: delivered (for a mass task: the member sent it, or the poll horizon ended);
 * failed: WeCom refused it (errcode + a sentence); skipped: not sent, with a reason;
 * unknown: the request may have reached WeCom and Fencun cannot find out — parked for an operator.
 */
export type OutboxStatus = 'pending' | 'running' | 'awaiting' | 'polling' | 'sent' | 'failed' | 'skipped' | 'unknown';

export const OUTBOX_STATUSES: OutboxStatus[] = ['pending', 'running', 'awaiting', 'polling', 'sent', 'failed', 'skipped', 'unknown'];

/** A customer the message reaches, so a delivery can be recorded as a touch (never when planned). */
export interface TouchTarget {
  category: TouchCategory;
  /** touches.source, e.g. 'reminder', 'campaign', 'welcome'. */
  source: string;
}

/** message/send to one member (the daily cap and per-member pacing are per recipient). */
export interface AppMessageIntent {
  kind: 'app_message';
  toUser: string;
  message: AppMessagePayload;
}

/**
 * externalcontact/add_msg_template: a task the sender confirms in WeCom. `single` goes to
 * customers (externalUserIds, or all of the sender's when omitted), `group` to the sender's groups.
 */
export interface MassTaskIntent {
  kind: 'mass_task';
  chatType: 'single' | 'group';
  sender: string;
  externalUserIds?: string[];
  chatIds?: string[];
  text?: string;
  attachments?: MsgAttachment[];
  /** Record a touch for each customer the member actually sent it to (single chats only). */
  touch?: TouchTarget;
}

/** externalcontact/send_welcome_msg: single-use code, 20 s window (give expiresAt). */
export interface WelcomeIntent {
  kind: 'welcome';
  welcomeCode: string;
  /** The new relation, for the welcome touch. */
  userId: string;
  externalUserId: string;
  text?: string;
  attachments?: MsgAttachment[];
}

/** A group robot post. `robot` names a key configured in config/outbox.json (keys never enter the database). */
export interface RobotIntent {
  kind: 'robot';
  robot: string;
  message: WebhookMessage;
}

/**
 * message/update_template_card: shows a tapped card's new state to the member who tapped it. The
 * response_code is single-use and valid 72 h (API.md 4.14a): give expiresAt.
 */
export interface CardUpdateIntent {
  kind: 'card_update';
  toUser: string;
  update: TemplateCardUpdate;
}

export type IntentBody = AppMessageIntent | MassTaskIntent | WelcomeIntent | RobotIntent | CardUpdateIntent;

/** What a caller passes to enqueue(tx, intent). */
export type NewIntent = IntentBody & {
  /**
   * Unique per message the caller means, stable across its own retries (e.g.
   * `reminder-bundle:<userId>:<slot>` or `campaign:<id>:batch:<n>`): a second enqueue with the same
   * key is a no-op returning the first intent.
   */
  key: string;
  /** Epoch ms; not sent before. */
  dueAt: number;
  /** Not sent after this (epoch ms): skipped with the reason "expired". */
  expiresAt?: number | null;
  /** What produced it, for operators ('reminders', 'campaign', 'digest', …). */
  origin: string;
};

export interface OutboxIntent {
  id: number;
  key: string;
  kind: OutboxKind;
  origin: string;
  body: IntentBody;
  /** The sender whose pace it draws from (member, mass-task sender, robot). */
  paceKey: string;
  status: OutboxStatus;
  dueAt: number;
  expiresAt: number | null;
  /** Earliest next claim (a retry's backoff, the daily cap's next day, the next results poll). */
  nextAttemptAt: number;
  attempts: number;
  leaseOwner: string | null;
  leaseToken: string | null;
  leaseUntil: number | null;
  /** When the first attempt whose outcome is not known started: a request may have reached WeCom since then. */
  doubtSince: number | null;
  firstAttemptAt: number | null;
  lastAttemptAt: number | null;
  /** WeCom's ids: message/send msgid or the mass task's msgid. */
  wecomMsgId: string | null;
  /** JSON: invalid users of message/send, fail_list of a mass task, per-customer results. */
  wecomResult: string | null;
  errcode: number | null;
  /** The sentence for operators: why failed / skipped / unknown / deferred. */
  reason: string | null;
  /** Transient failures (45009, -1, timeouts) since it last went out well, and when they began (the time budget). */
  transientFailures: number;
  firstFailedAt: number | null;
  createdAt: number;
  doneAt: number | null;
}
