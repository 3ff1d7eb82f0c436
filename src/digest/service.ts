import type { Database } from '../db/database';
import { OutboxRepository } from '../outbox/repository';
import { enqueue } from '../outbox/service';
import type { PolicyConfig } from '../policy/config';
import { bookByRep, dayRange, digestFor, listedIds, nameListed, type Digest, type DigestPolicy, type RepBook, type SectionsKnown } from './compute';
import { digestMarkdown } from './message';
import { DigestRepository } from './repository';
import { supervisionsOf, type Supervision } from './supervision';

export function digestPolicy(policy: PolicyConfig, timeZone: string): DigestPolicy {
  return {
    timeZone,
    highValueTiers: policy.nextAction.highValueTiers,
    fallbackTier: policy.pressure.fallbackTier,
    tierLabels: Object.fromEntries(policy.tiers.tiers.map((t) => [t.id, t.label])),
    responseTargetMinutes: policy.reminders.rules.unansweredSla.responseTargetMinutes,
    cadenceDays: policy.nextAction.revisitCadenceDays,
    saturatedAfter: policy.nextAction.giveSpace.afterUnanswered,
  };
}

/** The idempotency key of one supervisor's digest of one local day: one message, whoever enqueues it how often. */
export function digestKey(supervisor: string, date: string): string {
  return `digest:${supervisor}:${date}`;
}

/** Who gets a digest, what it says, and putting it in the outbox. */
export class DigestService {
  readonly repo: DigestRepository;
  private readonly dp: DigestPolicy;

  constructor(private readonly o: { db: Database; policy: PolicyConfig; timeZone: string; publicBaseUrl: string }) {
    this.repo = new DigestRepository(o.db);
    this.dp = digestPolicy(o.policy, o.timeZone);
  }

  async supervisions(): Promise<Supervision[]> {
    const { departments, members } = await this.repo.org();
    return supervisionsOf(departments, members, this.o.policy.digest);
  }

  async supervisionOf(userId: string): Promise<Supervision | null> {
    return (await this.supervisions()).find((s) => s.userId === userId) ?? null;
  }

  /** Every rep's book for `date` (reps: all when null), judged at asOf. */
  async books(date: string, asOf: number, reps: string[] | null): Promise<{ books: Map<string, RepBook>; known: SectionsKnown }> {
    const range = dayRange(date, this.o.timeZone);
    const data = await this.repo.load(range, asOf, reps);
    const books = bookByRep(data, range, asOf, this.dp);
    nameListed(books, await this.repo.names(listedIds(books)));
    return { books, known: { campaigns: data.campaigns !== null, groupPosts: data.groupPosts !== null } };
  }

  async digestOf(s: Supervision, date: string, asOf: number): Promise<Digest> {
    const { books, known } = await this.books(date, asOf, s.reps);
    return digestFor(s, books, date, known);
  }

  pageUrl(date: string): string {
    return `${this.o.publicBaseUrl}/digest/?date=${date}`;
  }

  markdown(d: Digest): string {
    return digestMarkdown(d, { pageUrl: this.pageUrl(d.date), listLength: this.o.policy.digest.listLength });
  }

  /**
   * One app message per supervisor about `date`, enqueued with key digest:<supervisor>:<date>.
   * The book is read once for everyone; a second run (another instance, a takeover, a rerun,
   * a catch-up after a restart) finds the keys taken and neither reads the book nor enqueues
   * anything. Two runs that both find a key free both enqueue it: the key keeps one.
   */
  async enqueueAll(date: string, now: number): Promise<{ supervisors: number; enqueued: number; existing: number; quiet: number }> {
    const supervisions = await this.supervisions();
    const out = { supervisors: supervisions.length, enqueued: 0, existing: 0, quiet: 0 };
    const outbox = new OutboxRepository(this.o.db);
    const due: Supervision[] = [];
    for (const s of supervisions) {
      if (await outbox.findByKey(this.o.db, digestKey(s.userId, date))) out.existing++;
      else due.push(s);
    }
    if (due.length === 0) return out;
    const { books, known } = await this.books(date, now, null);
    for (const s of due) {
      const d = digestFor(s, books, date, known);
      if (d.quiet) out.quiet++;
      const r = await this.o.db.transaction((tx) => enqueue(tx, {
        kind: 'app_message', toUser: s.userId, message: { msgtype: 'markdown', markdown: { content: this.markdown(d) } },
        key: digestKey(s.userId, date), dueAt: now, origin: 'digest',
      }, now));
      if (r.created) out.enqueued++;
      else out.existing++;
    }
    return out;
  }
}
