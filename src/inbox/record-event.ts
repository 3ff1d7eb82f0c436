import type { WecomEvent } from '../callback/events';
import { insertIgnoringDuplicates } from '../db/sql';
import type { HandlerContext } from './handlers';

/**
 * Keeps the typed record of every event: who, which customer/group/tag, when. Capabilities
 * build their state from their own handlers; this record is the audit trail behind them.
 */
export async function recordEvent({ db, inboxId, event, now }: HandlerContext): Promise<void> {
  const ids = subjectIds(event);
  const { type, at, ...detail } = event;
  // Message bodies stay out of the audit trail; the message store owns them.
  if ('content' in detail) delete (detail as { content?: string }).content;
  await insertIgnoringDuplicates(
    db, 'wecom_events',
    ['inbox_id', 'kind', 'user_id', 'external_user_id', 'chat_id', 'tag_id', 'detail', 'event_time', 'recorded_at'],
    [[inboxId, type, ids.userId, ids.externalUserId, ids.chatId, ids.tagId, JSON.stringify(detail), at, now.getTime()]],
    ['inbox_id'],
  );
}

function subjectIds(e: WecomEvent): { userId: string | null; externalUserId: string | null; chatId: string | null; tagId: string | null } {
  const none = { userId: null, externalUserId: null, chatId: null, tagId: null };
  if ('externalUserId' in e) return { ...none, userId: e.userId || null, externalUserId: e.externalUserId || null };
  if ('chatId' in e) return { ...none, chatId: e.chatId || null };
  if (e.type.startsWith('external_tag_') && 'id' in e) return { ...none, tagId: e.id ?? null };
  if ('userId' in e) return { ...none, userId: e.userId || null };
  return none;
}
