import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock';
import type { Database } from '../db/database';
import { chunks, retryOnLockConflict } from '../db/sql';
import { errorMessage } from '../errors';
import { dismissGroup, findGroupsNotSeen, markGroupSeen, saveGroupChat } from '../groups/repository';
import type { Log } from '../log';
import { linkOrphanOrders } from '../orders/repository';
import { replaceTagLibrary } from '../tags/repository';
import { deleteCursor, readCursor, writeCursor } from './cursors';
import { markMembersLeft, saveDepartments, saveMembers } from './members';
import { endFollow, findUnseenFollows, syncRelationsPage, wecomTimeLowerBound } from './repository';
import type { Member } from './types';
import {
  CustomerDataWecom, fromFollowInfo, isTransient, toContactProfile, toDepartment, toGroupChat, toMember, toTagGroups,
} from './wecom-port';

/**
 * The full reconcile: callbacks can be lost, so the stored state is periodically made equal to
 * WeCom's — members and departments, the tag library, every member's customers
 * (batch/get_by_user), every customer group. Relations WeCom no longer reports are ended
 * (`sync`). Progress is saved after every page, so a run that dies continues where it stopped.
 * Each page is written in a few multi-row statements while the next one is fetched.
 */

export const SYNC_CURSOR = 'contacts-sync';
const MEMBERS_PER_CALL = 100;
/** A saved run older than this is abandoned and started afresh (its member list is stale). */
const RESUME_WITHIN_MS = 24 * 3_600_000;

type Phase = 'tags' | 'contacts' | 'groups' | 'finish';

export interface SyncCounts {
  members: number;
  tags: number;
  newContacts: number;
  created: number;
  updated: number;
  ended: number;
  groups: number;
  groupsDismissed: number;
}

interface SyncProgress {
  runId: string;
  startedAt: number;
  phase: Phase;
  memberIds: string[];
  /** Members whose customers could not be read this run: their relations are not ended. */
  skippedMembers: string[];
  chunk: number;
  cursor: string;
  groupCursor: string;
  counts: SyncCounts;
}

export interface ReconcileDeps {
  db: Database;
  wecom: CustomerDataWecom;
  clock: Clock;
  log: Log;
  progress?: (done: number, total: number, label?: string) => void;
}

export async function reconcileCustomerData(d: ReconcileDeps): Promise<SyncCounts & { resumed: number }> {
  const saved = await readCursor<SyncProgress>(d.db, SYNC_CURSOR);
  const resumed = saved !== null && d.clock().getTime() - saved.startedAt < RESUME_WITHIN_MS;
  const p = resumed ? saved : await startRun(d);
  if (resumed) d.log.info({ runId: p.runId, phase: p.phase, chunk: p.chunk }, 'contacts-sync: resuming the interrupted run');
  const save = () => writeCursor(d.db, SYNC_CURSOR, p, d.clock().getTime());
  // What the run reads is true as of WeCom's clock at the read, and events carry WeCom's
  // CreateTime: the run's writes are ordered against events by a lower bound of that clock taken
  // before any read, never by Fencun's clock (which may run ahead, and has milliseconds).
  const guardAt = await wecomTimeLowerBound(d.db);

  if (p.phase === 'tags') {
    const groups = toTagGroups(await d.wecom.getCorpTagList());
    await d.db.transaction((tx) => replaceTagLibrary(tx, groups, d.clock().getTime()));
    p.counts.tags = groups.reduce((n, g) => n + g.tags.length, 0);
    p.phase = 'contacts';
    await save();
  }
  if (p.phase === 'contacts') {
    await syncContacts(d, p, guardAt);
    p.counts.ended = await endVanishedFollows(d, p, guardAt);
    p.phase = 'groups';
    await save();
  }
  if (p.phase === 'groups') {
    await syncGroups(d, p, save);
    p.phase = 'finish';
    await save();
  }
  await linkOrphanOrders(d.db, d.clock().getTime());
  await deleteCursor(d.db, SYNC_CURSOR);
  return { ...p.counts, resumed: resumed ? 1 : 0 };
}

/** Members first: everything else is read per member. */
async function startRun(d: ReconcileDeps): Promise<SyncProgress> {
  const runId = randomUUID();
  const startedAt = d.clock().getTime();
  const departments = (await d.wecom.listDepartments()).map(toDepartment);
  await saveDepartments(d.db, departments, runId, startedAt);
  const byId = new Map(departments.map((x) => [x.id, x]));
  const members = new Map<string, Member>();
  for (const dept of departments) {
    for (const m of await d.wecom.listDepartmentMembers(dept.id)) {
      const prev = members.get(m.userId);
      const next = toMember(m, byId);
      members.set(m.userId, prev ? { ...prev, isLeader: prev.isLeader || next.isLeader } : next);
    }
  }
  await saveMembers(d.db, [...members.values()], byId, runId, startedAt);
  await markMembersLeft(d.db, runId, startedAt);
  const p: SyncProgress = {
    runId, startedAt, phase: 'tags', memberIds: [...members.keys()].sort(), skippedMembers: [], chunk: 0, cursor: '', groupCursor: '',
    counts: { members: members.size, tags: 0, newContacts: 0, created: 0, updated: 0, ended: 0, groups: 0, groupsDismissed: 0 },
  };
  await writeCursor(d.db, SYNC_CURSOR, p, startedAt);
  d.log.info({ runId, members: members.size, departments: departments.length }, 'contacts-sync: members read');
  return p;
}

interface Fetched {
  chunk: number;
  /** Fencun's clock when the page was asked for: the history's time for what it shows. */
  at: number;
  page?: Awaited<ReturnType<CustomerDataWecom['batchGetByUser']>>;
  err?: unknown;
}

/**
 * Every member's customers, page by page. The next page is asked for while the current one is
 * written, so WeCom's paging (rate-limited) and the database work overlap; each page and the
 * position after it commit together, so a crash never loses or repeats a page's counts.
 */
async function syncContacts(d: ReconcileDeps, p: SyncProgress, guardAt: number): Promise<void> {
  const memberChunks = chunks(p.memberIds, MEMBERS_PER_CALL);
  const total = p.memberIds.length;
  const fetchPage = (chunk: number, cursor: string): Promise<Fetched> => {
    const at = d.clock().getTime();
    return d.wecom.batchGetByUser(memberChunks[chunk], cursor || undefined, 100)
      .then((page) => ({ chunk, at, page }), (err: unknown) => ({ chunk, at, err }));
  };
  let membersDone = p.chunk * MEMBERS_PER_CALL;
  let relations = 0;
  const report = () => d.progress?.(Math.min(membersDone, total), total, `customers: members done, ${relations} relations read`);
  report();
  let inFlight = p.chunk < memberChunks.length ? fetchPage(p.chunk, p.cursor) : null;
  while (inFlight) {
    const f = await inFlight;
    inFlight = null;
    if (f.err !== undefined || !f.page) {
      if (isTransient(f.err)) throw f.err;
      // One bad member (left since the member read, say) must not block everyone's sync forever.
      d.log.error({ members: memberChunks[f.chunk].length, err: errorMessage(f.err) },
        'contacts-sync: WeCom refused batch/get_by_user for these members; their relations are left as they are this run');
      Object.assign(p, { skippedMembers: [...p.skippedMembers, ...memberChunks[f.chunk]], chunk: f.chunk + 1, cursor: '' });
      await writeCursor(d.db, SYNC_CURSOR, p, d.clock().getTime());
      if (p.chunk < memberChunks.length) inFlight = fetchPage(p.chunk, '');
      continue;
    }
    const page = f.page;
    const done = !page.nextCursor;
    const position = { chunk: done ? f.chunk + 1 : f.chunk, cursor: done ? '' : page.nextCursor };
    if (position.chunk < memberChunks.length) inFlight = fetchPage(position.chunk, position.cursor);
    const items = page.externalContactList.map((item) => {
      const contact = toContactProfile(item.externalContact);
      return { contact, follow: fromFollowInfo(contact.externalUserId, item.followInfo) };
    });
    const after = await retryOnLockConflict(() => d.db.transaction(async (tx) => {
      const r = await syncRelationsPage(tx, items, { at: f.at, now: f.at, cause: `sync:${p.runId}`, runId: p.runId, guardAt });
      const counts = { ...p.counts, newContacts: p.counts.newContacts + r.newContacts, created: p.counts.created + r.created, updated: p.counts.updated + r.updated };
      const next: SyncProgress = { ...p, counts, ...position };
      await writeCursor(tx, SYNC_CURSOR, next, d.clock().getTime());
      return next;
    }));
    Object.assign(p, after);
    relations += items.length;
    membersDone = Math.max(membersDone, done ? position.chunk * MEMBERS_PER_CALL : f.chunk * MEMBERS_PER_CALL + lastMemberIndex(memberChunks[f.chunk], items));
    report();
  }
  membersDone = total;
  report();
}

/** How far into its chunk a page reached (WeCom lists a chunk's customers member by member). */
function lastMemberIndex(chunk: string[], items: { follow: { userId: string } }[]): number {
  const last = items.at(-1)?.follow.userId;
  return last === undefined ? 0 : Math.max(0, chunk.indexOf(last));
}

/**
 * Live relations of synced members that this run did not see have ended without an event.
 * Relations an event wrote after the run started are left to that event.
 */
async function endVanishedFollows(d: ReconcileDeps, p: SyncProgress, guardAt: number): Promise<number> {
  d.progress?.(0, 1, 'ending relations WeCom no longer reports');
  const skipped = new Set(p.skippedMembers);
  const users = p.memberIds.filter((u) => !skipped.has(u));
  let ended = 0;
  const now = d.clock().getTime();
  for (const part of chunks(users, 500)) {
    for (const r of await findUnseenFollows(d.db, part, p.runId, p.startedAt)) {
      const out = await retryOnLockConflict(() => d.db.transaction((tx) =>
        endFollow(tx, r.userId, r.externalUserId, 'sync', { at: now, now, cause: `sync:${p.runId}`, guardAt })));
      if (out === 'ended') ended++;
    }
  }
  return ended;
}

async function syncGroups(d: ReconcileDeps, p: SyncProgress, save: () => Promise<void>): Promise<void> {
  do {
    const page = await d.wecom.listGroupChats({ cursor: p.groupCursor || undefined, limit: 1000 });
    // The next group is read from WeCom while this one is written.
    const read = (i: number) => {
      const at = d.clock().getTime();
      return d.wecom.getGroupChat(page.groupChatList[i].chatId).then((g) => ({ at, g, err: undefined }), (err: unknown) => ({ at, g: undefined, err }));
    };
    let ahead = page.groupChatList.length > 0 ? read(0) : null;
    for (const [i, ref] of page.groupChatList.entries()) {
      const r = await ahead!;
      ahead = i + 1 < page.groupChatList.length ? read(i + 1) : null;
      const at = r.at;
      let chat;
      try {
        if (r.err !== undefined || !r.g) throw r.err;
        chat = toGroupChat(r.g);
      } catch (err) {
        if (isTransient(err)) throw err;
        // Listed by groupchat/list, so it exists: keep what we have rather than dismiss it.
        d.log.warn({ chatId: ref.chatId, err: errorMessage(err) }, 'contacts-sync: could not read a customer group; kept as stored');
        await markGroupSeen(d.db, ref.chatId, p.runId);
        continue;
      }
      await retryOnLockConflict(() => d.db.transaction((tx) => saveGroupChat(tx, chat, { at, now: at, cause: `sync:${p.runId}`, runId: p.runId })));
      p.counts.groups++;
      d.progress?.(p.counts.groups, p.counts.groups, 'groups');
    }
    p.groupCursor = page.nextCursor;
    await save();
  } while (p.groupCursor);
  const now = d.clock().getTime();
  for (const chatId of await findGroupsNotSeen(d.db, p.runId, p.startedAt)) {
    const r = await d.db.transaction((tx) => dismissGroup(tx, chatId, { at: now, now, cause: `sync:${p.runId}` }));
    if (r === 'dismissed') p.counts.groupsDismissed++;
  }
}
