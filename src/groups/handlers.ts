import type { ChatEvent } from '../callback/events';
import type { HandlerRegistry } from '../inbox/handlers';
import { errorMessage } from '../errors';
import { CustomerDataWecom, isTransient, toGroupChat } from '../contacts/wecom-port';
import { dismissGroup, saveGroupChat } from './repository';

/**
 * change_external_chat events (API.md 3.2). WeCom advises calling groupchat/get after any change
 * (and says member versions expose missed events), so create and update both store the truth
 * and diff the membership; the event only dates leaves and keeps their scene.
 */
export function registerGroupHandlers(handlers: HandlerRegistry, deps: { wecom: CustomerDataWecom }): void {
  handlers.on(['external_chat_create', 'external_chat_update'], async ({ db, inboxId, event, now, log }) => {
    let chat;
    try {
      chat = toGroupChat(await deps.wecom.getGroupChat(event.chatId));
    } catch (err) {
      if (isTransient(err)) throw err;
      log.warn({ chatId: event.chatId, err: errorMessage(err) }, 'could not fetch the customer group from WeCom; the next reconcile will');
      return;
    }
    const r = await db.transaction((tx) => saveGroupChat(tx, chat, {
      at: event.at, now: now.getTime(), cause: `evt:${inboxId}`, hint: hintOf(event),
    }));
    log.info({ chatId: event.chatId, updateDetail: event.updateDetail, ...r }, 'customer group updated');
  });
  handlers.on('external_chat_dismiss', async ({ db, inboxId, event, now, log }) => {
    const r = await db.transaction((tx) => dismissGroup(tx, event.chatId, { at: event.at, now: now.getTime(), cause: `evt:${inboxId}` }));
    log.info({ chatId: event.chatId, outcome: r }, 'customer group dismissed');
  });
}

function hintOf(e: ChatEvent) {
  return { updateDetail: e.updateDetail, memChangeList: e.memChangeList, joinScene: e.joinScene, quitScene: e.quitScene };
}
