import { createHash } from 'node:crypto';
import type { z, ZodType } from 'zod';
import type { Clock } from '../clock';
import type { WecomConfig } from '../config';
import type { Database } from '../db/database';
import type { Log } from '../log';
import type { Metrics } from '../ops/metrics';
import { WecomNotMemberError, WecomResponseError, isWecomErrcode } from './errors';
import { CallSpec, WecomInvoker } from './invoker';
import { DEFAULT_RATE_RULES, RateLimiter, RateRule, sleep } from './rate-limiter';
import * as S from './schemas';
import { CachedCredential, credentialKey, TokenStore } from './token-store';
import { WecomTransport } from './transport';
import type * as T from './types';
import type {
  AddMsgTemplateRequest, AppMessageRequest, GroupMsgListRequest, KfSyncRequest, MediaUploadRequest, ListGroupChatsRequest, MarkTagRequest,
  RemarkRequest, UpdateTemplateCardRequest, WebhookMessage, WelcomeMsgRequest,
} from './requests';

export * from './types';
export * from './errors';
export * from './requests';
export * from './endpoints';

export interface WecomClientOptions {
  config: WecomConfig;
  db: Database;
  clock: Clock;
  log: Log;
  metrics: Metrics;
  /** Per-attempt HTTP timeout (default 10 s). */
  timeoutMs?: number;
  /** Retries for -1 and transport failures (default 3) and their backoff (tests make it short). */
  retry?: { retries?: number; baseDelayMs?: number; maxDelayMs?: number };
  /** Refresh tokens and tickets this long before they expire (default 5 min). */
  refreshEarlyMs?: number;
  /** Longest the client-side limiter may delay a call before refusing it (default 10 s). */
  maxRateWaitMs?: number;
  /** Override documented limits, keyed like DEFAULT_RATE_RULES. */
  rateRules?: Record<string, RateRule[]>;
  /** How long an endpoint rests after 45009 (default 60 s) and 45033 (default 5 s). */
  rateLimitPauseMs?: number;
  concurrencyPauseMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const MAX_BATCH_USERS = 100;
/** message/send's duplicate_check_interval may not exceed 4 hours (API.md 4.14). */
export const MAX_DUPLICATE_CHECK_SECONDS = 4 * 3600;

/**
 * The one way Fencun talks to WeCom: domain verbs with typed requests and responses (API.md
 * section 4). Tokens and tickets are cached in memory and in wecom_tokens, shared by every
 * caller and instance; errors are typed by errcode (see errors.ts); every call is rate-limited
 * and measured; sends are never repeated once they may have reached WeCom (endpoints.ts). WECOM_API_BASE redirects every call, the robot webhook included.
 */
export class WecomClient {
  private readonly invoker: WecomInvoker;
  private readonly accessToken: CachedCredential;
  private readonly jsapiTicket: CachedCredential;
  private readonly agentTicket: CachedCredential;
  private readonly config: WecomConfig;
  private readonly rateRules: Record<string, RateRule[]>;

  constructor(o: WecomClientOptions) {
    this.config = o.config;
    const store = new TokenStore(o.db);
    const early = o.refreshEarlyMs ?? 5 * 60_000;
    const { corpId, agentSecret } = o.config;
    const sleepFn = o.sleep ?? sleep;
    const rules = { ...DEFAULT_RATE_RULES, ...o.rateRules };
    this.rateRules = rules;
    this.accessToken = new CachedCredential(credentialKey('access_token', corpId, agentSecret), store, o.clock, early, o.log, async () => {
      const r = await this.invoker.call({
        endpoint: 'gettoken', method: 'GET', authenticated: false, schema: S.tokenResponse,
        query: { corpid: corpId, corpsecret: agentSecret },
      });
      return { value: r.access_token, expiresInMs: r.expires_in * 1000 };
    });
    this.jsapiTicket = new CachedCredential(credentialKey('jsapi_ticket', corpId, agentSecret), store, o.clock, early, o.log, async () => {
      const r = await this.invoker.call({ endpoint: 'get_jsapi_ticket', method: 'GET', schema: S.ticketResponse });
      return { value: r.ticket, expiresInMs: r.expires_in * 1000 };
    });
    this.agentTicket = new CachedCredential(credentialKey('agent_config_ticket', corpId, agentSecret), store, o.clock, early, o.log, async () => {
      const r = await this.invoker.call({ endpoint: 'ticket/get', method: 'GET', query: { type: 'agent_config' }, schema: S.ticketResponse });
      return { value: r.ticket, expiresInMs: r.expires_in * 1000 };
    });
    this.invoker = new WecomInvoker({
      agentId: o.config.agentId,
      transport: new WecomTransport(o.config.apiBase),
      limiter: new RateLimiter({ maxWaitMs: o.maxRateWaitMs ?? 10_000, sleep: sleepFn }),
      rules,
      accessToken: this.accessToken,
      clock: o.clock,
      log: o.log.child({ component: 'wecom' }),
      metrics: o.metrics,
      timeoutMs: o.timeoutMs ?? 10_000,
      retries: o.retry?.retries ?? 3,
      baseDelayMs: o.retry?.baseDelayMs ?? 500,
      maxDelayMs: o.retry?.maxDelayMs ?? 8_000,
      rateLimitPauseMs: o.rateLimitPauseMs ?? 60_000,
      concurrencyPauseMs: o.concurrencyPauseMs ?? 5_000,
      sleep: sleepFn,
      random: o.random ?? Math.random,
    });
  }

  // ---- credentials ---------------------------------------------------------------------------

  /** The app's access token (cached, single-flight, refreshed 5 min early, shared via the database). */
  getAccessToken(): Promise<string> {
    return this.accessToken.get();
  }

  /** Corp JS-SDK ticket for wx.config (≤100 fetches/hour per app: cached like the token). */
  getJsapiTicket(): Promise<string> {
    return this.jsapiTicket.get();
  }

  /** App ticket for wx.agentConfig / ww.register. */
  getAgentConfigTicket(): Promise<string> {
    return this.agentTicket.get();
  }

  // ---- customers -----------------------------------------------------------------------------

  /** External userids of a member's customers. A member with none is an empty list, not an error. */
  async listExternalContacts(userId: string): Promise<string[]> {
    try {
      const r = await this.call({ endpoint: 'externalcontact/list', method: 'GET', query: { userid: userId }, schema: S.externalContactList });
      return r.external_userid;
    } catch (err) {
      // 84061: "not external contact" — WeCom's answer for a member without customers [M].
      if (isWecomErrcode(err, 84061)) return [];
      throw err;
    }
  }

  /** One customer with every follower: follows `next_cursor` until the last page and merges follow_user. */
  async getExternalContact(externalUserId: string): Promise<T.ExternalContactDetail> {
    const followUser: T.FollowUser[] = [];
    let cursor = '';
    let contact: T.ExternalContact | null = null;
    for (let page = 0; ; page++) {
      const r = await this.call({
        endpoint: 'externalcontact/get', method: 'GET', schema: S.externalContactGet,
        query: { external_userid: externalUserId, cursor: cursor || undefined },
      });
      contact ??= r.external_contact;
      followUser.push(...r.follow_user);
      if (!r.next_cursor || r.next_cursor === cursor) break;
      if (page > 1000) throw new WecomResponseError('externalcontact/get', 'next_cursor never ends');
      cursor = r.next_cursor;
    }
    return { externalContact: contact!, followUser };
  }

  /** One page of batch/get_by_user: ≤100 members per call, ≤100 results per page (API.md 4.6). */
  batchGetByUser(userIds: string[], cursor?: string, limit = 100): Promise<T.ContactsByUserPage> {
    return this.call({
      endpoint: 'externalcontact/batch/get_by_user', method: 'POST', schema: S.batchGetByUser,
      body: { userid_list: userIds, cursor: cursor ?? '', limit },
    });
  }

  /** Every customer relation of these members, any number of members, all pages. */
  async *iterateContactsByUser(userIds: string[], limit = 100): AsyncGenerator<T.ContactByUser> {
    for (let i = 0; i < userIds.length; i += MAX_BATCH_USERS) {
      const chunk = userIds.slice(i, i + MAX_BATCH_USERS);
      let cursor = '';
      do {
        const page = await this.batchGetByUser(chunk, cursor, limit);
        yield* page.externalContactList;
        cursor = page.nextCursor;
      } while (cursor);
    }
  }

  async getCorpTagList(tagIds?: string[], groupIds?: string[]): Promise<T.CorpTagGroup[]> {
    return this.call({
      endpoint: 'externalcontact/get_corp_tag_list', method: 'POST', schema: S.corpTagList,
      body: { ...(tagIds?.length ? { tag_id: tagIds } : {}), ...(groupIds?.length ? { group_id: groupIds } : {}) },
    });
  }

  /** Corp tags only; does not trigger an edit_external_contact callback. */
  async markTag(r: MarkTagRequest): Promise<void> {
    await this.call({
      endpoint: 'externalcontact/mark_tag', method: 'POST', schema: S.empty,
      body: { userid: r.userId, external_userid: r.externalUserId, add_tag: r.addTag ?? [], remove_tag: r.removeTag ?? [] },
    });
  }

  async remark(r: RemarkRequest): Promise<void> {
    await this.call({
      endpoint: 'externalcontact/remark', method: 'POST', schema: S.empty,
      body: {
        userid: r.userId, external_userid: r.externalUserId, remark: r.remark, description: r.description,
        remark_company: r.remarkCompany, remark_mobiles: r.remarkMobiles, remark_pic_mediaid: r.remarkPicMediaId,
      },
    });
  }

  // ---- customer groups -----------------------------------------------------------------------

  listGroupChats(r: ListGroupChatsRequest = {}): Promise<T.GroupChatsPage> {
    return this.call({
      endpoint: 'externalcontact/groupchat/list', method: 'POST', schema: S.groupChatList,
      body: {
        status_filter: r.statusFilter ?? 0,
        ...(r.ownerUserIds?.length ? { owner_filter: { userid_list: r.ownerUserIds } } : {}),
        cursor: r.cursor ?? '',
        limit: r.limit ?? 1000,
      },
    });
  }

  async *iterateGroupChats(r: Omit<ListGroupChatsRequest, 'cursor'> = {}): AsyncGenerator<T.GroupChatRef> {
    let cursor = '';
    do {
      const page = await this.listGroupChats({ ...r, cursor });
      yield* page.groupChatList;
      cursor = page.nextCursor;
    } while (cursor);
  }

  getGroupChat(chatId: string): Promise<T.GroupChat> {
    return this.call({ endpoint: 'externalcontact/groupchat/get', method: 'POST', schema: S.groupChatGet, body: { chat_id: chatId, need_name: 1 } });
  }

  // ---- mass messages (企业群发) -----------------------------------------------------------------

  /**
   * Creates a task the sender confirms in the WeCom client; nothing is sent before that (API.md 4.10).
   * Unsafe to repeat (a second task is a second message): after WecomOutcomeUnknownError, look the
   * task up with iterateGroupMsgList (creator, time window, content) before creating it again.
   */
  addMsgTemplate(r: AddMsgTemplateRequest): Promise<T.AddMsgTemplateResult> {
    return this.call({
      endpoint: 'externalcontact/add_msg_template', method: 'POST', schema: S.addMsgTemplate,
      body: {
        chat_type: r.chatType,
        ...(r.externalUserIds ? { external_userid: r.externalUserIds } : {}),
        ...(r.chatIds ? { chat_id_list: r.chatIds } : {}),
        ...(r.sender ? { sender: r.sender } : {}),
        ...(r.text !== undefined ? { text: { content: r.text } } : {}),
        ...(r.attachments?.length ? { attachments: r.attachments } : {}),
      },
    });
  }

  getGroupMsgListV2(r: GroupMsgListRequest): Promise<T.GroupMsgListPage> {
    return this.call({
      endpoint: 'externalcontact/get_groupmsg_list_v2', method: 'POST', schema: S.groupMsgList,
      body: {
        chat_type: r.chatType, start_time: unixSeconds(r.startTime), end_time: unixSeconds(r.endTime),
        creator: r.creator, filter_type: r.filterType ?? 2, limit: r.limit ?? 100, cursor: r.cursor ?? '',
      },
    });
  }

  async *iterateGroupMsgList(r: Omit<GroupMsgListRequest, 'cursor'>): AsyncGenerator<T.GroupMsg> {
    let cursor = '';
    do {
      const page = await this.getGroupMsgListV2({ ...r, cursor });
      yield* page.groupMsgList;
      cursor = page.nextCursor;
    } while (cursor);
  }

  getGroupMsgTask(msgId: string, cursor?: string, limit = 1000): Promise<T.GroupMsgTaskPage> {
    return this.call({
      endpoint: 'externalcontact/get_groupmsg_task', method: 'POST', schema: S.groupMsgTask,
      body: { msgid: msgId, limit, cursor: cursor ?? '' },
    });
  }

  async *iterateGroupMsgTasks(msgId: string): AsyncGenerator<T.GroupMsgTask> {
    let cursor = '';
    do {
      const page = await this.getGroupMsgTask(msgId, cursor);
      yield* page.taskList;
      cursor = page.nextCursor;
    } while (cursor);
  }

  getGroupMsgSendResult(msgId: string, userId: string, cursor?: string, limit = 1000): Promise<T.GroupMsgSendResultPage> {
    return this.call({
      endpoint: 'externalcontact/get_groupmsg_send_result', method: 'POST', schema: S.groupMsgSendResult,
      body: { msgid: msgId, userid: userId, limit, cursor: cursor ?? '' },
    });
  }

  async *iterateGroupMsgSendResults(msgId: string, userId: string): AsyncGenerator<T.GroupMsgSendResult> {
    let cursor = '';
    do {
      const page = await this.getGroupMsgSendResult(msgId, userId, cursor);
      yield* page.sendList;
      cursor = page.nextCursor;
    } while (cursor);
  }

  /**
   * Reminds the members who have not sent a mass task yet (API.md 4.10: at most 3 times per task
   * per 24 h). A repeat is a second nudge, so it is not repeated after an unanswered attempt.
   */
  async remindGroupMsgSend(msgId: string): Promise<void> {
    await this.call({ endpoint: 'externalcontact/remind_groupmsg_send', method: 'POST', schema: S.empty, body: { msgid: msgId } });
  }

  /** Stops a mass task: members can no longer send it; what was sent stays sent (API.md 4.10). */
  async cancelGroupMsgSend(msgId: string): Promise<void> {
    await this.call({ endpoint: 'externalcontact/cancel_groupmsg_send', method: 'POST', schema: S.empty, body: { msgid: msgId } });
  }

  /**
   * Within 20 s of the add event, once per code; a used or late code fails with errcode 41051.
   * Not repeated by the client once it may have reached WeCom (WecomOutcomeUnknownError).
   */
  async sendWelcomeMsg(r: WelcomeMsgRequest): Promise<void> {
    await this.call({
      endpoint: 'externalcontact/send_welcome_msg', method: 'POST', schema: S.empty,
      body: {
        welcome_code: r.welcomeCode,
        ...(r.text !== undefined ? { text: { content: r.text } } : {}),
        ...(r.attachments?.length ? { attachments: r.attachments } : {}),
      },
    });
  }

  // ---- app messages, identity, members -------------------------------------------------------

  /**
   * message/send to members (≤1000 per call). Every recipient draws from its own per-member limit.
   * Unsafe to repeat: a send that may have reached WeCom ends in WecomOutcomeUnknownError. With
   * enableDuplicateCheck, WeCom drops an identical message to the same recipients within
   * duplicateCheckInterval seconds (default 1800, at most 4 h) and still answers ok — so the
   * resend that resolves an unknown outcome delivers at most once.
   */
  async sendAppMessage(r: AppMessageRequest): Promise<T.AppMessageResult> {
    const { toUser, enableDuplicateCheck, duplicateCheckInterval, ...payload } = r;
    if (duplicateCheckInterval !== undefined && !(Number.isInteger(duplicateCheckInterval) && duplicateCheckInterval >= 1 && duplicateCheckInterval <= MAX_DUPLICATE_CHECK_SECONDS)) {
      throw new RangeError(`duplicateCheckInterval must be a whole number of seconds from 1 to ${MAX_DUPLICATE_CHECK_SECONDS} (WeCom's maximum is 4 hours), not ${duplicateCheckInterval}`);
    }
    return this.call({
      endpoint: 'message/send', method: 'POST', schema: S.messageSend,
      extraDraws: toUser.map((u) => ({ key: `message/send:member:${u}`, rules: this.rules('message/send:member') })),
      body: {
        touser: toUser.join('|'),
        agentid: this.config.agentId,
        ...payload,
        enable_duplicate_check: enableDuplicateCheck ? 1 : 0,
        ...(duplicateCheckInterval !== undefined ? { duplicate_check_interval: duplicateCheckInterval } : {}),
      },
    });
  }

  /**
   * message/update_template_card for these members (API.md 4.14a). Unsafe to repeat (declared in
   * endpoints.ts): the response_code is single-use, so only the outbox worker calls it.
   */
  async updateTemplateCard(r: UpdateTemplateCardRequest): Promise<void> {
    await this.call({
      endpoint: 'message/update_template_card', method: 'POST', schema: S.empty,
      body: { userids: r.userIds, agentid: this.config.agentId, response_code: r.responseCode, template_card: r.templateCard },
    });
  }

  /** OAuth2 code → member userid; anyone else is a WecomNotMemberError. Codes are single-use. */
  async getUserInfoByCode(code: string): Promise<T.OAuthIdentity> {
    const r = await this.call({ endpoint: 'auth/getuserinfo', method: 'GET', query: { code }, schema: S.authUserInfo });
    if (!r.userid) throw new WecomNotMemberError(r.openid ?? null, r.external_userid ?? null);
    return { userId: r.userid, userTicket: r.user_ticket };
  }

  /**
   * Uploads a temporary media file (valid 3 days) and returns its media_id, for the sidebar's
   * sendChatMessage (image, file, video), welcome messages and mass tasks. WeCom's limits: image
   * ≤ 10 MB (JPG/PNG), voice ≤ 2 MB (AMR), video ≤ 10 MB (MP4), file ≤ 20 MB.
   */
  uploadMedia(r: MediaUploadRequest): Promise<T.UploadedMedia> {
    return this.call({
      endpoint: 'media/upload', method: 'POST', query: { type: r.type }, schema: S.mediaUpload,
      upload: { field: 'media', filename: r.filename, contentType: r.contentType, data: r.data },
    });
  }

  kfSyncMsg(r: KfSyncRequest): Promise<T.KfSyncResult> {
    return this.call({
      endpoint: 'kf/sync_msg', method: 'POST', schema: S.kfSyncMsg,
      body: { cursor: r.cursor ?? '', ...(r.token ? { token: r.token } : {}), limit: r.limit ?? 1000, voice_format: 0, open_kfid: r.openKfId },
    });
  }

  getUser(userId: string): Promise<T.WecomUser> {
    return this.call({ endpoint: 'user/get', method: 'GET', query: { userid: userId }, schema: S.userGet });
  }

  /** Every department visible to the app, with its leaders (the supervisors). */
  listDepartments(): Promise<T.Department[]> {
    return this.call({ endpoint: 'department/list', method: 'GET', schema: S.departmentList });
  }

  /**
   * Members directly in a department, via user/simplelist: user/list's detailed fields are no
   * longer available to self-built apps' new IPs since 2022-08; leaders come from department/list.
   */
  listDepartmentMembers(departmentId: number): Promise<T.DepartmentMember[]> {
    return this.call({ endpoint: 'user/simplelist', method: 'GET', query: { department_id: departmentId }, schema: S.userSimpleList });
  }

  /**
   * Group robot message (20/minute per robot). The key is a secret: it is never logged. Unsafe
   * to repeat, and WeCom offers no lookup: after WecomOutcomeUnknownError the caller chooses
   * between a possible duplicate and a possible loss.
   */
  async sendWebhook(key: string, message: WebhookMessage): Promise<void> {
    const robot = createHash('sha256').update(key).digest('hex').slice(0, 12);
    await this.call({
      endpoint: 'webhook/send', method: 'POST', authenticated: false, query: { key }, body: message, schema: S.empty,
      draws: [{ key: `webhook/send:robot:${robot}`, rules: this.rules('webhook/send:robot') }],
    });
  }

  private call<Schema extends ZodType>(spec: CallSpec<Schema>): Promise<z.output<Schema>> {
    return this.invoker.call(spec);
  }

  private rules(key: string): RateRule[] {
    return this.rateRules[key] ?? this.rateRules.default;
  }
}

function unixSeconds(t: Date | number): number {
  return Math.floor((t instanceof Date ? t.getTime() : t) / 1000);
}
