import type { Database } from '../db/database';
import type { Log } from '../log';
import { readCursor, writeCursor } from '../contacts/cursors';
import type { CustomerDataWecom } from '../contacts/wecom-port';
import type { KfMessage } from '../wecom/types';
import { insertMessages } from './repository';
import type { NewMessage } from './types';

/**
 * 微信客服 messages (API.md 6.2): the kf_msg_or_event callback carries no content, only a token;
 * Fencun pulls with kf/sync_msg from the cursor it persisted for that open_kfid, page by page,
 * storing each page and its next cursor in one transaction — a crash resumes from the last
 * stored page, and a re-delivered page is skipped by msgid.
 */

/** Pages pulled per callback; more waits for the next callback (WeCom sends one per new message). */
const MAX_PAGES = 50;

export function kfCursorName(openKfId: string): string {
  return `kf:${openKfId}`;
}

export async function syncKfMessages(
  db: Database, wecom: Pick<CustomerDataWecom, 'kfSyncMsg'>, o: { openKfId: string; token?: string; now: number; log: Log },
): Promise<{ pages: number; stored: number }> {
  let pages = 0;
  let stored = 0;
  for (; pages < MAX_PAGES; ) {
    const saved = await readCursor<{ cursor: string }>(db, kfCursorName(o.openKfId));
    const page = await wecom.kfSyncMsg({ openKfId: o.openKfId, cursor: saved?.cursor || undefined, token: o.token || undefined, limit: 1000 });
    pages++;
    const messages = page.msgList.map(toMessage).filter((m): m is NewMessage => m !== null);
    stored += await db.transaction(async (tx) => {
      const n = await insertMessages(tx, messages, o.now);
      if (page.nextCursor) await writeCursor(tx, kfCursorName(o.openKfId), { cursor: page.nextCursor }, o.now);
      return n;
    });
    if (!page.hasMore || !page.nextCursor) break;
  }
  o.log.info({ openKfId: o.openKfId, pages, stored }, 'kf messages synced');
  return { pages, stored };
}

/** origin 3: the customer wrote; 5: a servicer did; 4: system events (sessions), not messages. */
function toMessage(m: KfMessage): NewMessage | null {
  if (m.origin === 4 || m.msgtype === 'event') return null;
  return {
    msgid: `kf:${m.msgId}`,
    channel: 'kf',
    direction: m.origin === 3 ? 'in' : 'out',
    msgType: m.msgtype,
    externalUserId: m.externalUserId ?? null,
    userId: m.servicerUserId ?? null,
    openKfId: m.openKfId,
    text: m.text?.content ?? null,
    msgTime: m.sendTime,
  };
}
