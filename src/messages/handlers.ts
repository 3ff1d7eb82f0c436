import type { HandlerRegistry } from '../inbox/handlers';
import { recordAppVisit } from '../contacts/members';
import type { CustomerDataWecom } from '../contacts/wecom-port';
import { recordArchiveNotify } from './archive';
import { syncKfMessages } from './kf-sync';
import { insertMessages } from './repository';

/**
 * Message sources that arrive as callbacks (API.md 3.4, 6.1, 6.2): members writing to the app,
 * members opening it, 微信客服 notifications (pull with sync_msg) and the archive's "new data" ping.
 */
export function registerMessageHandlers(handlers: HandlerRegistry, deps: { wecom: CustomerDataWecom }): void {
  handlers.on('app_message', async ({ db, event, now }) => {
    await db.transaction(async (tx) => {
      await insertMessages(tx, [{
        msgid: `app:${event.msgId || `${event.userId}:${event.at}`}`, channel: 'app', direction: 'in', msgType: event.msgType,
        userId: event.userId, text: event.content ?? null, msgTime: event.at,
      }], now.getTime());
      await recordAppVisit(tx, event.userId, event.at, now.getTime());
    });
  });
  handlers.on('enter_agent', async ({ db, event, now }) => {
    await recordAppVisit(db, event.userId, event.at, now.getTime());
  });
  handlers.on('kf_msg_or_event', async ({ db, event, now, log }) => {
    await syncKfMessages(db, deps.wecom, { openKfId: event.openKfId, token: event.token, now: now.getTime(), log });
  });
  handlers.on('msgaudit_notify', async ({ db, event, now, log }) => {
    // No content: the archive puller (outside Fencun) fetches it and posts it to /api/archive/messages.
    await recordArchiveNotify(db, event.at, now.getTime());
    log.debug('archive has new data (msgaudit_notify)');
  });
}
