import type { Database } from '../db/database';
import type { EventType, WecomEvent } from '../callback/events';
import type { Log } from '../log';

export interface HandlerContext<E extends WecomEvent = WecomEvent> {
  /** Handlers open their own transactions where several writes must commit together. */
  db: Database;
  inboxId: number;
  event: E;
  now: Date;
  log: Log;
  /**
   * Aborted when this run's lease is lost (another claim took the event over): stop early, the
   * outcome will not be recorded. Optional so handlers can be called outside the processor.
   */
  signal?: AbortSignal;
}

export type EventHandler<E extends WecomEvent = WecomEvent> = (ctx: HandlerContext<E>) => Promise<void>;

/** The event shape(s) whose `type` can be T (ContactEvent covers several types). */
type Narrow<T extends EventType> = WecomEvent extends infer E ? (E extends { type: infer U } ? (T extends U ? E : never) : never) : never;

/**
 * Handlers registered per event type, run in registration order. Every handler must be
 * idempotent: an event is retried after a failure (all its handlers run again), and re-run if a
 * worker dies after its handlers but before the event is marked done.
 */
export class HandlerRegistry {
  private readonly byType = new Map<string, EventHandler[]>();
  private readonly forAll: EventHandler[] = [];

  on<T extends EventType>(type: T | T[], handler: EventHandler<Narrow<T>>): this {
    for (const t of Array.isArray(type) ? type : [type]) {
      const list = this.byType.get(t) ?? [];
      list.push(handler as EventHandler);
      this.byType.set(t, list);
    }
    return this;
  }

  onEvery(handler: EventHandler): this {
    this.forAll.push(handler);
    return this;
  }

  handlersFor(type: string): EventHandler[] {
    return [...this.forAll, ...(this.byType.get(type) ?? [])];
  }
}
