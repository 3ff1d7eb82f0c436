import type { HandlerRegistry } from '../inbox/handlers';
import { CustomerDataWecom, toTagGroups } from '../contacts/wecom-port';
import { replaceTagLibrary } from './repository';

/**
 * change_external_tag events (API.md 3.3): whatever changed (a tag or group created, renamed,
 * deleted, re-ordered), the library is re-read whole with get_corp_tag_list and stored as is,
 * so the order events arrive in does not matter.
 */
export function registerTagHandlers(handlers: HandlerRegistry, deps: { wecom: CustomerDataWecom }): void {
  handlers.on(['external_tag_create', 'external_tag_update', 'external_tag_delete', 'external_tag_shuffle'], async ({ db, event, now, log }) => {
    const groups = toTagGroups(await deps.wecom.getCorpTagList());
    const r = await db.transaction((tx) => replaceTagLibrary(tx, groups, now.getTime()));
    log.info({ tagId: event.id, tagType: event.tagType, ...r }, 'corp tag library refreshed');
  });
}
