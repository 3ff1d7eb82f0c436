import { activateFollow, findFollowsOfCustomer, upsertContact, wecomTimeLowerBound } from '../contacts/repository';
import { fromFollowUser, isNotFound, toContactProfile } from '../contacts/wecom-port';
import type { Database } from '../db/database';
import { AppError, errorMessage } from '../errors';
import type { Log } from '../log';
import { linkOrdersOfContact } from '../orders/repository';
import type { ExternalContactDetail } from '../wecom/types';
import { assertCanSeeContact, type FollowRef, type Viewer } from './access';

/**
 * A customer the rep opens before any event or sync told Fencun about them (a friend added a
 * minute ago whose callback is still queued, a corp just switched on) is not "forbidden": we ask
 * WeCom (externalcontact/get) and store what it says, as the reconcile would. Then:
 *
 * - the viewer (or their team) follows them → the profile, as if they had been there all along;
 * - WeCom has them, followed only by others → 403, as before;
 * - WeCom has no such customer (84061) → 404 CONTACT_NOT_FOUND;
 * - WeCom is slow or down → 503 CONTACT_SYNCING ("正在同步") for a customer Fencun has never
 *   seen, while the fetch carries on (the next pull-to-refresh finds the stored customer); one
 *   Fencun knows through colleagues only stays 403, as what we know says.
 *
 * One fetch per customer at a time in this process (concurrent opens join it); the history it
 * writes is keyed by a fixed cause, so a second instance fetching too records nothing twice.
 */

export interface OnDemandWecom {
  getExternalContact(externalUserId: string): Promise<ExternalContactDetail>;
}

export interface OnDemandDeps {
  db: Database;
  wecom: OnDemandWecom;
  clock: () => Date;
  /** How long the page waits for WeCom before saying "syncing" (config/sidebar.json onDemandFetchMs). */
  waitMs: number;
}

type Fetched = 'stored' | 'not_in_wecom';

export class ContactOnDemand {
  private readonly inFlight = new Map<string, Promise<Fetched>>();

  constructor(private readonly d: OnDemandDeps) {}

  /** assertCanSeeContact, with one look at WeCom when Fencun has no relation in the viewer's scope. */
  async access(viewer: Viewer, externalUserId: string, log: Log): Promise<FollowRef[]> {
    let forbidden: AppError;
    try {
      return await assertCanSeeContact(this.d.db, viewer, externalUserId, log);
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'FORBIDDEN') throw err;
      forbidden = err;
    }
    let outcome: Fetched;
    try {
      outcome = await this.fetchWithin(externalUserId, log);
    } catch (err) {
      // WeCom cannot tell us now. A customer Fencun knows through colleagues only stays refused
      // (what we know says so); "syncing" is for a customer Fencun has never heard of.
      if (err instanceof AppError && err.code === 'CONTACT_SYNCING' && (await findFollowsOfCustomer(this.d.db, externalUserId)).length > 0) throw forbidden;
      throw err;
    }
    if (outcome === 'not_in_wecom') {
      throw new AppError('CONTACT_NOT_FOUND', 'WeCom has no such external contact (84061): nobody in the corp follows this customer', { status: 404 });
    }
    // Stored now: visible if the viewer's team follows them, 403 (logged) if not.
    return assertCanSeeContact(this.d.db, viewer, externalUserId, log);
  }

  private async fetchWithin(externalUserId: string, log: Log): Promise<Fetched> {
    let flight = this.inFlight.get(externalUserId);
    if (!flight) {
      flight = this.fetch(externalUserId, log).finally(() => this.inFlight.delete(externalUserId));
      this.inFlight.set(externalUserId, flight);
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), this.d.waitMs)));
    try {
      const r = await Promise.race([flight, late]);
      if (r === 'late') {
        // The fetch goes on; its outcome is stored (or logged) when WeCom answers.
        flight.catch(() => undefined);
        throw syncing();
      }
      return r;
    } catch (err) {
      if (err instanceof AppError && err.code === 'CONTACT_SYNCING') throw err;
      // WeCom down, rate-limited or misconfigured (the client's errors are AppErrors too): the
      // rep is told it is syncing, the operator finds why in the log.
      log.warn({ externalUserId, err: errorMessage(err) }, 'sidebar: could not fetch an unknown customer from WeCom');
      throw syncing();
    } finally {
      clearTimeout(timer);
    }
  }

  private async fetch(externalUserId: string, log: Log): Promise<Fetched> {
    let detail: ExternalContactDetail;
    try {
      detail = await this.d.wecom.getExternalContact(externalUserId);
    } catch (err) {
      if (isNotFound(err)) return 'not_in_wecom';
      throw err;
    }
    const { db } = this.d;
    const now = this.d.clock().getTime();
    // Ordered against events as the reconcile orders its writes: by a lower bound of WeCom's clock.
    const guardAt = await wecomTimeLowerBound(db);
    const contact = toContactProfile(detail.externalContact);
    const follows = detail.followUser.map((f) => fromFollowUser(externalUserId, f));
    await db.transaction(async (tx) => {
      await upsertContact(tx, contact, now);
      for (const f of follows) {
        await activateFollow(tx, f, 'active', { at: now, now, cause: `sync:sidebar-open:${externalUserId}`, guardAt });
      }
    });
    await linkOrdersOfContact(db, externalUserId, { unionid: contact.unionid, mobiles: [] }, now);
    log.info({ externalUserId, follows: follows.map((f) => f.userId) }, 'sidebar: fetched a customer Fencun did not know yet from WeCom');
    return 'stored';
  }
}

function syncing(): AppError {
  return new AppError('CONTACT_SYNCING', 'This customer is not in Fencun yet and WeCom has not answered; it is being fetched, try again shortly',
    { status: 503, details: { retry: true } });
}
