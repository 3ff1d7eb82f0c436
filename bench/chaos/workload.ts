import type { Delivery, RunningSimulator } from '../../src/wecom-simulator';

/** One change the harness made in the simulated WeCom, and the callback(s) that carry it. */
export interface TrackedEvent {
  kind: 'app_message' | 'add_external_contact' | 'edit_external_contact' | 'del_follow_user';
  /** The original delivery and its deliberate copies (same envelope). */
  deliveries: Delivery[];
  userId: string;
  externalUserId: string | null;
  /** WeCom's CreateTime in epoch ms (what Fencun stores as event_time). */
  at: number;
  msgId?: string;
  welcomeCode?: string;
}

interface Relation {
  userId: string;
  externalUserId: string;
  /** Simulated ms of the last change: two changes of one relation are never in the same second. */
  lastChangeAt: number;
  deleted: boolean;
}

/** WeCom's CreateTime of a delivery, in ms. */
function createTimeOf(d: Delivery): number {
  const m = /<CreateTime>(\d+)<\/CreateTime>/.exec(d.plaintext);
  return m ? Number(m[1]) * 1000 : 0;
}

/**
 * Makes a stream of changes in the simulated corp — members writing to the app, customers added
 * (each with a welcome code), relations edited and deleted — each raising its callback through the
 * simulator's CallbackSender, every `duplicateEvery`-th with a deliberate duplicate. It never
 * changes one relation twice within a second: WeCom's CreateTime has whole seconds, so two
 * opposite changes in one second could not be ordered by anyone.
 */
export class Workload {
  readonly events: TrackedEvent[] = [];
  readonly relations = new Map<string, Relation>();
  private active: Relation[] = [];
  private n = 0;
  duplicates = 0;

  constructor(private readonly sim: RunningSimulator, private readonly reps: string[], private readonly tag: string, private readonly duplicateEvery = 10) {}

  /** Deliveries not yet answered 200 or given up on (backpressure for the generator). */
  unsettled(): number {
    let n = 0;
    for (let i = this.events.length - 1; i >= 0 && i >= this.events.length - 2_000; i--) {
      for (const d of this.events[i].deliveries) if (d.outcome === 'pending' || d.outcome === 'held') n++;
    }
    return n;
  }

  /** Makes one change; returns the number of callbacks it raised. */
  step(random: () => number): number {
    const n = this.n++;
    const dup = this.duplicateEvery > 0 && n % this.duplicateEvery === this.duplicateEvery - 1 ? 1 : 0;
    const now = Date.now();
    const r = random();
    const pickable = () => {
      // A few random picks instead of a scan: most relations are old enough.
      for (let i = 0; i < 5 && this.active.length > 0; i++) {
        const rel = this.active[Math.floor(random() * this.active.length)];
        if (!rel.deleted && now - rel.lastChangeAt >= 1_100) return rel;
      }
      return null;
    };
    let ev: TrackedEvent;
    const edit = r >= 0.6 && r < 0.85 ? pickable() : null;
    const del = r >= 0.85 ? pickable() : null;
    if (edit) {
      const { delivery } = this.sim.admin.editContact({ userId: edit.userId, externalUserId: edit.externalUserId, remark: `${this.tag}-r${n}`, duplicates: dup });
      edit.lastChangeAt = now;
      ev = { kind: 'edit_external_contact', deliveries: [delivery], userId: edit.userId, externalUserId: edit.externalUserId, at: createTimeOf(delivery) };
    } else if (del) {
      const { delivery } = this.sim.admin.customerDeletesRep({ userId: del.userId, externalUserId: del.externalUserId, duplicates: dup });
      del.lastChangeAt = now;
      del.deleted = true;
      this.active = this.active.filter((x) => x !== del);
      ev = { kind: 'del_follow_user', deliveries: [delivery], userId: del.userId, externalUserId: del.externalUserId, at: createTimeOf(delivery) };
    } else if (r < 0.35) {
      const userId = this.reps[n % this.reps.length];
      const { delivery, msgId } = this.sim.admin.appMessage({ userId, content: `${this.tag} app #${n}`, duplicates: dup });
      ev = { kind: 'app_message', deliveries: [delivery], userId, externalUserId: null, at: createTimeOf(delivery), msgId };
    } else {
      const userId = this.reps[(n * 7) % this.reps.length];
      const { delivery, externalUserId, welcomeCode } = this.sim.admin.addContact({ userId, name: `混沌${n}`, welcome: true, duplicates: dup });
      const rel: Relation = { userId, externalUserId, lastChangeAt: now, deleted: false };
      this.relations.set(`${userId}|${externalUserId}`, rel);
      this.active.push(rel);
      ev = { kind: 'add_external_contact', deliveries: [delivery], userId, externalUserId, at: createTimeOf(delivery), welcomeCode };
    }
    // The copies follow their original in the sender's list (ids are consecutive).
    if (dup) {
      const copies = this.sim.admin.deliveries().slice(-5).filter((d) => d.duplicateOf === ev.deliveries[0].id);
      ev.deliveries.push(...copies);
      this.duplicates += copies.length;
    }
    this.events.push(ev);
    return ev.deliveries.length;
  }
}

/** Whether WeCom got a 200 for this event (from the original, a retry or a copy). */
export function acknowledged(e: TrackedEvent): boolean {
  return e.deliveries.some((d) => d.outcome === 'delivered');
}
