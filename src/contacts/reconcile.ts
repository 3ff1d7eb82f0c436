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
import { endFollow, findUnseenFollows, SyncedRelation, syncRelationsPage, wecomTimeLowerBound } from './repository';
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

/** What the reader hands the writer, in paging order. */
type Read =
  | { kind: 'page'; chunk: number; at: number; items: SyncedRelation[]; position: { chunk: number; cursor: string } }
  | { kind: 'refused'; chunk: number; err: unknown }
  | { kind: 'failed'; err: unknown };

/** Pages read ahead of the writer at most (memory bound: 100 relations each). */
const READ_AHEAD_PAGES = 20;

/**
 * Every member's customers. A reader pages through WeCom without waiting for the database; the
 * writer takes every page read since its last commit and writes them in one transaction,
 * together with the position after the last of them. So WeCom's paging sets the pace, the
 * writes grow into bigger batches when the database is the slower side, and a crash loses no
 * committed page and repeats no page's counts (the next run re-reads from the saved position).
 */
async function syncContacts(d: ReconcileDeps, p: SyncProgress, guardAt: number): Promise<void> {
  const memberChunks = chunks(p.memberIds, MEMBERS_PER_CALL);
  const total = p.memberIds.length;
  const queue: Read[] = [];
  let readerDone = false;
  // Who waits on whom: the writer for a page, the reader for room in the queue.
  const waiting: { writer: (() => void) | null; reader: (() => void) | null } = { writer: null, reader: null };
  const signal = () => {
    waiting.writer?.();
    waiting.writer = null;
  };
  const makeRoom = () => {
    waiting.reader?.();
    waiting.reader = null;
  };
  let stopped = false;

  const reader = (async () => {
    let chunk = p.chunk;
    let cursor = p.cursor;
    try {
      while (chunk < memberChunks.length && !stopped) {
        while (queue.length >= READ_AHEAD_PAGES && !stopped) await new Promise<void>((r) => (waiting.reader = r));
        const at = d.clock().getTime();
        let page;
        try {
          page = await d.wecom.batchGetByUser(memberChunks[chunk], cursor || undefined, 100);
        } catch (err) {
          if (isTransient(err)) {
            queue.push({ kind: 'failed', err });
            return;
          }
          queue.push({ kind: 'refused', chunk, err });
          chunk += 1;
          cursor = '';
          continue;
        } finally {
          signal();
        }
        const done = !page.nextCursor;
        const position = { chunk: done ? chunk + 1 : chunk, cursor: done ? '' : page.nextCursor };
        queue.push({
          kind: 'page', chunk, at, position,
          items: page.externalContactList.map((item) => {
            const contact = toContactProfile(item.externalContact);
            return { contact, follow: fromFollowInfo(contact.externalUserId, item.followInfo) };
          }),
        });
        signal();
        ({ chunk, cursor } = position);
      }
    } finally {
      readerDone = true;
      signal();
    }
  })();

  let membersDone = p.chunk * MEMBERS_PER_CALL;
  let relations = 0;
  const report = () => d.progress?.(Math.min(membersDone, total), total, `customers: members done, ${relations} relations read`);
  report();
  try {
    for (;;) {
      if (queue.length === 0) {
        if (readerDone) break;
        await new Promise<void>((r) => (waiting.writer = r));
        continue;
      }
      const batch = queue.splice(0, queue.length);
      makeRoom();
      const failed = batch.find((r) => r.kind === 'failed');
      const upTo = failed ? batch.slice(0, batch.indexOf(failed)) : batch;
      await writeReads(d, p, upTo, guardAt, memberChunks);
      for (const r of upTo) {
        if (r.kind === 'page') {
          relations += r.items.length;
          membersDone = Math.max(membersDone, r.position.chunk > r.chunk ? r.position.chunk * MEMBERS_PER_CALL
            : r.chunk * MEMBERS_PER_CALL + lastMemberIndex(memberChunks[r.chunk], r.items));
        } else if (r.kind === 'refused') {
          membersDone = Math.max(membersDone, (r.chunk + 1) * MEMBERS_PER_CALL);
        }
      }
      report();
      if (failed && failed.kind === 'failed') throw failed.err;
    }
  } finally {
    stopped = true;
    makeRoom();
    await reader;
  }
  membersDone = total;
  report();
}

/** Writes pages read (and members WeCom refused) and the position after them, in one transaction. */
async function writeReads(d: ReconcileDeps, p: SyncProgress, reads: Read[], guardAt: number, memberChunks: string[][]): Promise<void> {
  if (reads.length === 0) return;
  let next: SyncProgress = { ...p };
  const items: SyncedRelation[] = [];
  for (const r of reads) {
    if (r.kind === 'refused') {
      // One bad member (left since the member read, say) must not block everyone's sync forever.
      d.log.error({ members: memberChunks[r.chunk].length, err: errorMessage(r.err) },
        'contacts-sync: WeCom refused batch/get_by_user for these members; their relations are left as they are this run');
      next = { ...next, skippedMembers: [...next.skippedMembers, ...memberChunks[r.chunk]], chunk: r.chunk + 1, cursor: '' };
    } else if (r.kind === 'page') {
      items.push(...r.items);
      next = { ...next, ...r.position };
    }
  }
  // The history's time for what the batch shows: when its first page was asked for.
  const first = reads.find((r) => r.kind === 'page');
  const at = first && first.kind === 'page' ? first.at : d.clock().getTime();
  const after = await retryOnLockConflict(() => d.db.transaction(async (tx) => {
    const r = await syncRelationsPage(tx, items, { at, now: at, cause: `sync:${p.runId}`, runId: p.runId, guardAt });
    const counts = { ...p.counts, newContacts: p.counts.newContacts + r.newContacts, created: p.counts.created + r.created, updated: p.counts.updated + r.updated };
    const saved: SyncProgress = { ...next, counts };
    await writeCursor(tx, SYNC_CURSOR, saved, d.clock().getTime());
    return saved;
  }));
  Object.assign(p, after);
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
