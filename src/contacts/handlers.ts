import type { ContactEvent } from '../callback/events';
import { errorMessage } from '../errors';
import type { EventHandler, HandlerContext, HandlerRegistry } from '../inbox/handlers';
import type { Log } from '../log';
import { linkOrdersOfContact } from '../orders/repository';
import { closeForEndedRelation } from '../reminders/repository';
import { normalizeMobile } from './follow-details';
import { recordChanges } from './history';
import { activateFollow, endFollow, markArchiveAgreed, updateFollow, upsertContact } from './repository';
import type { ContactProfile, FollowInfo } from './types';
import { sendWelcome, WelcomeTemplates } from './welcome';
import { CustomerDataWecom, fromFollowUser, isNotFound, isTransient, toContactProfile } from './wecom-port';

export interface ContactHandlerDeps {
  wecom: CustomerDataWecom;
  welcome: WelcomeTemplates;
}

/**
 * change_external_contact events (API.md 3.1). WeCom advises re-fetching the customer after an
 * event; the event itself decides the relation's status, guarded by its time.
 */
export function registerContactHandlers(handlers: HandlerRegistry, deps: ContactHandlerDeps): void {
  handlers.on(['add_external_contact', 'add_half_external_contact'], onAdd(deps));
  handlers.on('edit_external_contact', onEdit(deps));
  handlers.on('del_external_contact', async ({ db, inboxId, event, now, log }) => {
    // DELETE_BY_TRANSFER: 在职继承 moved the customer to another rep — not a loss.
    const endedBy = event.source === 'DELETE_BY_TRANSFER' ? 'transfer' : 'rep_deleted';
    const r = await db.transaction(async (tx) => {
      const ended = await endFollow(tx, event.userId, event.externalUserId, endedBy, {
        at: event.at, now: now.getTime(), cause: `evt:${inboxId}`, detail: event.source ? { source: event.source } : undefined,
      });
      // The relation's open care reminders end with it (reminders/repository.ts).
      if (ended === 'ended') await closeForEndedRelation(tx, event.userId, event.externalUserId, endedBy, now.getTime());
      return ended;
    });
    logOutcome(log, event, r, endedBy === 'transfer' ? 'customer transferred to another rep' : 'rep deleted the customer');
  });
  handlers.on('del_follow_user', async ({ db, inboxId, event, now, log }) => {
    const r = await db.transaction(async (tx) => {
      const ended = await endFollow(tx, event.userId, event.externalUserId, 'customer_deleted', { at: event.at, now: now.getTime(), cause: `evt:${inboxId}` });
      if (ended === 'ended') await closeForEndedRelation(tx, event.userId, event.externalUserId, 'customer_deleted', now.getTime());
      return ended;
    });
    logOutcome(log, event, r, 'customer deleted the rep');
  });
  handlers.on('transfer_fail', async ({ db, inboxId, event, now, log }) => {
    // The customer stays with the original rep; the failure is worth seeing on the timeline.
    await recordChanges(db, [{
      externalUserId: event.externalUserId, userId: event.userId, kind: 'transfer_failed', at: event.at, cause: `evt:${inboxId}`,
      detail: { failReason: event.failReason ?? null },
    }], now.getTime());
    log.info({ userId: event.userId, externalUserId: event.externalUserId, failReason: event.failReason }, 'customer transfer failed');
  });
  handlers.on('msg_audit_approved', async ({ db, inboxId, event, now }) => {
    await db.transaction(async (tx) => {
      await markArchiveAgreed(tx, event.externalUserId, event.at, now.getTime());
      await recordChanges(tx, [{ externalUserId: event.externalUserId, userId: event.userId, kind: 'archive_agreed', at: event.at, cause: `evt:${inboxId}` }], now.getTime());
    });
  });
}

function onAdd(deps: ContactHandlerDeps): EventHandler<ContactEvent> {
  return async ({ db, inboxId, event, now, log }) => {
    // First, while WeCom's 20 s window is open.
    if (event.welcomeCode) {
      await sendWelcome({ db, wecom: deps.wecom, templates: deps.welcome, event: { ...event, welcomeCode: event.welcomeCode }, now, log });
    }
    const truth = await fetchCustomer(deps.wecom, event.externalUserId, log);
    const follow = truth?.follows.find((f) => f.userId === event.userId) ?? fromEvent(event);
    const status = event.type === 'add_half_external_contact' ? 'half' : 'active';
    const r = await db.transaction(async (tx) => {
      if (truth) await upsertContact(tx, truth.contact, now.getTime());
      return activateFollow(tx, { ...follow, state: follow.state ?? event.state ?? null }, status, { at: event.at, now: now.getTime(), cause: `evt:${inboxId}` });
    });
    logOutcome(log, event, r, 'customer added');
    // Orders imported before the customer was known can be theirs.
    await linkOrdersOfContact(db, event.externalUserId,
      { unionid: truth?.contact.unionid, mobiles: (follow.remarkMobiles ?? []).map(normalizeMobile) }, now.getTime());
  };
}

function onEdit(deps: ContactHandlerDeps): EventHandler<ContactEvent> {
  return async ({ db, inboxId, event, now, log }: HandlerContext<ContactEvent>) => {
    const truth = await fetchCustomer(deps.wecom, event.externalUserId, log);
    const follow = truth?.follows.find((f) => f.userId === event.userId);
    if (!truth || !follow) {
      log.info({ userId: event.userId, externalUserId: event.externalUserId }, 'edit event for a relation WeCom no longer reports; nothing to update');
      return;
    }
    const r = await db.transaction(async (tx) => {
      await upsertContact(tx, truth.contact, now.getTime());
      return updateFollow(tx, follow, { at: event.at, now: now.getTime(), cause: `evt:${inboxId}` });
    });
    logOutcome(log, event, r, 'customer details edited');
  };
}

async function fetchCustomer(wecom: CustomerDataWecom, externalUserId: string, log: Log): Promise<{ contact: ContactProfile; follows: FollowInfo[] } | null> {
  try {
    const d = await wecom.getExternalContact(externalUserId);
    return { contact: toContactProfile(d.externalContact), follows: d.followUser.map((f) => fromFollowUser(externalUserId, f)) };
  } catch (err) {
    if (isTransient(err)) throw err;
    if (!isNotFound(err)) log.warn({ externalUserId, err: errorMessage(err) }, 'could not fetch the customer from WeCom; using the event alone');
    return null;
  }
}

/** What the event alone says about the relation; unknown details stay as stored. */
function fromEvent(e: ContactEvent): FollowInfo {
  return { userId: e.userId, externalUserId: e.externalUserId, state: e.state ?? undefined, tags: null, createdAt: e.at };
}

function logOutcome(log: Log, e: ContactEvent, outcome: string, what: string): void {
  const fields = { userId: e.userId, externalUserId: e.externalUserId, eventAt: new Date(e.at).toISOString(), outcome };
  if (outcome === 'stale') log.info(fields, `${what}: ignored, a newer event already decided this relation`);
  else log.info(fields, what);
}
