/**
 * A background loop for a worker: runs `step` while started; after a step that says there is
 * more to do it goes again at once, otherwise it sleeps `idleMs` or until woken. A step's error
 * is reported and the loop goes on (the database may be back on the next pass).
 */
export class PollLoop {
  private running = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private woken = false;

  constructor(private readonly step: () => Promise<boolean>, private readonly idleMs: number, private readonly onError: (err: unknown) => void) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops after the current step. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
  }

  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.woken = false;
      let more = false;
      try {
        more = await this.step();
      } catch (err) {
        this.onError(err);
      }
      if (!this.running) break;
      if (!more && !this.woken) await new Promise<void>((resolve) => {
        const t = setTimeout(done, this.idleMs);
        function done() {
          clearTimeout(t);
          resolve();
        }
        this.wakeUp = done;
      });
    }
  }
}

/**
 * Renews the leases of the work running here every `everyMs` (the inbox and the outbox: leaseMs
 * / 3 by default) while started; 0 never beats (tests call the renewal themselves). The timer
 * does not keep the process alive.
 */
export class LeaseHeartbeat {
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly everyMs: number, private readonly beat: () => Promise<void>) {}

  start(): void {
    if (this.timer || this.everyMs <= 0) return;
    this.timer = setInterval(() => void this.beat(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
