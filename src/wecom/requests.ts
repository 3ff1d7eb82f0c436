/** What Fencun passes to WecomClient's verbs (API.md section 4), camelCase; the client builds WeCom's JSON. */

/** add_msg_template / send_welcome_msg attachments (API.md 4.10), passed through as documented. */
export type MsgAttachment =
  | { msgtype: 'image'; image: { media_id?: string; pic_url?: string } }
  | { msgtype: 'link'; link: { title: string; url: string; picurl?: string; desc?: string } }
  | { msgtype: 'miniprogram'; miniprogram: { title: string; pic_media_id: string; appid: string; page: string } }
  | { msgtype: 'video'; video: { media_id: string } }
  | { msgtype: 'file'; file: { media_id: string } };

export interface MarkTagRequest {
  userId: string;
  externalUserId: string;
  addTag?: string[];
  removeTag?: string[];
}

export interface RemarkRequest {
  userId: string;
  externalUserId: string;
  remark?: string;
  description?: string;
  remarkCompany?: string;
  remarkMobiles?: string[];
  remarkPicMediaId?: string;
}

export interface ListGroupChatsRequest {
  /** 0 all, 1 owner left, 2 inheriting, 3 inherited. */
  statusFilter?: number;
  ownerUserIds?: string[];
  cursor?: string;
  /** 1..1000. */
  limit?: number;
}

export interface AddMsgTemplateRequest {
  chatType: 'single' | 'group';
  externalUserIds?: string[];
  /** Group messages only: restrict to these chats (otherwise all of the sender's groups). */
  chatIds?: string[];
  sender?: string;
  text?: string;
  attachments?: MsgAttachment[];
}

export interface GroupMsgListRequest {
  chatType: 'single' | 'group';
  startTime: Date | number;
  endTime: Date | number;
  creator?: string;
  /** 0 corp-created, 1 member-created, 2 all. */
  filterType?: number;
  limit?: number;
  cursor?: string;
}

export interface WelcomeMsgRequest {
  welcomeCode: string;
  text?: string;
  attachments?: MsgAttachment[];
}

export type AppMessagePayload =
  | { msgtype: 'text'; text: { content: string } }
  | { msgtype: 'textcard'; textcard: { title: string; description: string; url: string; btntxt?: string } }
  | { msgtype: 'markdown'; markdown: { content: string } }
  | { msgtype: 'template_card'; template_card: Record<string, unknown> };

export type AppMessageRequest = AppMessagePayload & {
  toUser: string[];
  /** WeCom drops an identical message to the same members within duplicateCheckInterval seconds (default 1800, at most 14400) and answers ok. */
  enableDuplicateCheck?: boolean;
  duplicateCheckInterval?: number;
};

/**
 * message/update_template_card (API.md 4.14a): replace a card the members tapped with a whole new
 * card. `responseCode` is the tap's (or the send's) and may be used once, within 72 hours.
 */
export interface TemplateCardUpdate {
  responseCode: string;
  /** The new card (same card_type and task_id as the one it replaces). */
  templateCard: Record<string, unknown>;
}

export type UpdateTemplateCardRequest = TemplateCardUpdate & { userIds: string[] };

export interface KfSyncRequest {
  cursor?: string;
  /** The Token from the kf_msg_or_event callback (raises the rate limit; valid ~10 min). */
  token?: string;
  openKfId: string;
  limit?: number;
}

export type WebhookMessage =
  | { msgtype: 'text'; text: { content: string; mentioned_list?: string[]; mentioned_mobile_list?: string[] } }
  | { msgtype: 'markdown'; markdown: { content: string } }
  | { msgtype: string; [field: string]: unknown };

/** media/upload: one file for a temporary media_id. */
export interface MediaUploadRequest {
  type: 'image' | 'voice' | 'video' | 'file';
  filename: string;
  contentType: string;
  data: Buffer;
}
