import type { InboxRepository, NewInboxRow } from './repository';

export type WriteOutcome = 'stored' | 'duplicate';

interface Pending {
  row: NewInboxRow;
  resolve: (o: WriteOutcome) => void;
  reject: (e: unknown) => void;
}

const MAX_BATCH = 256;

/**
 * Durably appends callbacks to the inbox, coalescing concurrent requests into one multi-row
 * INSERT (group commit): while a batch is being written, new arrivals queue up and go in the
 * next one. A lone request is written at once, so batching adds no latency when idle.
 * Each caller learns whether its event was new or a duplicate only after the commit.
 */
export class InboxWriter {
  private queue: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private listeners: (() => void)[] = [];

  constructor(private readonly repo: InboxRepository) {}

  append(row: NewInboxRow): Promise<WriteOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      if (!this.flushing) this.flushing = this.flushLoop();
    });
  }

  /** Called after each batch that stored at least one new event (wakes the processor). */
  onStored(listener: () => void): void {
    this.listeners.push(listener);
  }

  async idle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        await this.writeBatch(batch);
      }
    } finally {
      this.flushing = null;
    }
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    // WeCom may deliver a retry while the original is still in flight: the second copy in one
    // batch is a duplicate of the first.
    const firstByKey = new Map<string, Pending>();
    const repeats: Pending[] = [];
    for (const p of batch) {
      if (firstByKey.has(p.row.dedupeKey)) repeats.push(p);
      else firstByKey.set(p.row.dedupeKey, p);
    }
    try {
      const existing = await this.repo.existingKeys([...firstByKey.keys()]);
      const fresh = [...firstByKey.values()].filter((p) => !existing.has(p.row.dedupeKey));
      await this.repo.insertMany(fresh.map((p) => p.row));
      // A key inserted concurrently by another instance is skipped by the INSERT and reported
      // here as stored; either way exactly one row exists.
      for (const p of firstByKey.values()) p.resolve(existing.has(p.row.dedupeKey) ? 'duplicate' : 'stored');
      for (const p of repeats) p.resolve('duplicate');
      if (fresh.length > 0) for (const l of this.listeners) l();
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }
}
