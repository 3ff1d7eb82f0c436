import { recordChanges } from '../contacts/history';
import { findFollowTags, replaceFollowTags } from '../contacts/follow-details';
import { AppError } from '../errors';
import { findCorpTags, replaceTagLibrary } from '../tags/repository';
import type { SidebarDeps } from './routes';
import type { CorpTagGroupView } from './types';

/** Corp tags from the sidebar: the library to pick from, and mark_tag reflected at once. */

type Deps = Pick<SidebarDeps, 'db' | 'clock' | 'wecom'>;

export async function corpTagGroups(deps: Deps): Promise<CorpTagGroupView[]> {
  let rows = await findCorpTags(deps.db);
  if (rows.length === 0) {
    // The library has not been synced yet: read it from WeCom once and keep it.
    const groups = (await deps.wecom.getCorpTagList()).filter((g) => !g.deleted);
    const now = deps.clock().getTime();
    await deps.db.transaction((tx) =>
      replaceTagLibrary(tx, groups.map((g) => ({
        groupId: g.groupId, name: g.groupName, order: g.order, createdAt: g.createTime,
        tags: g.tags.filter((t) => !t.deleted).map((t) => ({ tagId: t.id, name: t.name, order: t.order, createdAt: t.createTime })),
      })), now));
    rows = await findCorpTags(deps.db);
  }
  const out: CorpTagGroupView[] = [];
  for (const r of rows) {
    let g = out[out.length - 1];
    if (!g || g.groupId !== r.groupId) out.push((g = { groupId: r.groupId, groupName: r.groupName, tags: [] }));
    g.tags.push({ id: r.tagId, name: r.name });
  }
  return out;
}

export interface TagEdit {
  /** The rep whose relation carries the tags (corp tags live on the follow). */
  userId: string;
  externalUserId: string;
  add: string[];
  remove: string[];
  cause: string;
}

export async function editTags(deps: Deps, e: TagEdit): Promise<void> {
  const library = new Map((await findCorpTags(deps.db)).map((t) => [t.tagId, t]));
  const unknown = [...e.add, ...e.remove].filter((id) => !library.has(id));
  if (unknown.length > 0) throw new AppError('TAG_UNKNOWN', `不是企业标签：${unknown.join('、')}`, { status: 400, details: { unknown } });
  const add = [...new Set(e.add)].filter((id) => !e.remove.includes(id));
  const remove = [...new Set(e.remove)];
  if (add.length === 0 && remove.length === 0) return;
  await deps.wecom.markTag({ userId: e.userId, externalUserId: e.externalUserId, addTag: add, removeTag: remove });
  // mark_tag triggers no edit_external_contact callback (API.md 4.7–4.8): record the change now.
  const now = deps.clock().getTime();
  await deps.db.transaction(async (tx) => {
    const current = await findFollowTags(tx, e.userId, e.externalUserId);
    const kept = current.filter((t) => !(t.type !== 2 && remove.includes(t.tagId)));
    const have = new Set(kept.map((t) => t.tagId));
    const next = [...kept, ...add.filter((id) => !have.has(id)).map((id) => ({ tagId: id, type: 1, name: library.get(id)!.name }))];
    const changes = await replaceFollowTags(tx, e.userId, e.externalUserId, next, { at: now, now, cause: e.cause });
    await recordChanges(tx, changes, now);
  });
}
