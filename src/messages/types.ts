/** Where a message came from: the app (members ↔ app), 微信客服, the chat archive, or Fencun itself. */
export type Channel = 'app' | 'kf' | 'archive' | 'fencun';

/** Seen from the corp: `in` was written by a customer (or a member, to the app), `out` by us. */
export type Direction = 'in' | 'out';

/** Why Fencun sent something; touches use the first five. */
export type SendCategory = 'care' | 'marketing' | 'welcome' | 'group_content' | 'service' | 'reminder' | 'digest';

export interface NewMessage {
  /** Unique across channels: WeCom's id prefixed by channel (`app:`, `kf:`, `archive:`, `fencun:`). */
  msgid: string;
  channel: Channel;
  direction: Direction;
  category?: SendCategory | null;
  msgType: string;
  externalUserId?: string | null;
  userId?: string | null;
  chatId?: string | null;
  openKfId?: string | null;
  text?: string | null;
  msgTime: number;
}

export interface StoredMessage extends Required<Omit<NewMessage, 'category'>> {
  id: number;
  category: SendCategory | null;
}
