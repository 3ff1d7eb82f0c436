import { randomBytes } from 'node:crypto';
import { encryptMessage, signature } from './crypto';

export interface CallbackSettings {
  url: string | null;
  corpId: string;
  agentId: number;
  token: string;
  aesKey: string;
  /** WeCom waits 5 s for an answer (API.md 1.7). */
  timeoutMs: number;
  /** Resends after a timeout or a non-200 answer ("retry three times"). */
  maxRetries: number;
  retryDelayMs: number;
}

export interface DeliveryAttempt {
  at: number;
  ms: number;
  status?: number;
  error?: string;
}

export interface Delivery {
  id: number;
  label: string;
  plaintext: string;
  outcome: 'held' | 'pending' | 'delivered' | 'failed' | 'skipped';
  attempts: DeliveryAttempt[];
  /** This delivery repeats an earlier one on purpose (duplicate on demand). */
  duplicateOf?: number;
}

const KEEP = 2_000;
/**
 * Envelopes outlive the delivery list: a resend up to ~30 s after its original must reuse its
 * envelope, and a chaos run delivers far more than KEEP callbacks in 30 s (≈1 KB each).
 */
const ENVELOPES_KEPT = 100_000;

/**
 * Plays WeCom's side of callbacks: encrypts and signs each event, POSTs it to the callback URL,
 * and resends it when the answer is slow or not 200. On demand it holds events and releases them
 * in another order, or delivers duplicates.
 */
export class CallbackSender {
  readonly deliveries: Delivery[] = [];
  private nextId = 1;
  private held: Delivery[] | null = null;
  private readonly inflight = new Set<Promise<void>>();
  private closed = false;
  private readonly aborter = new AbortController();
  /** The envelope of each original delivery, shared by its copies and its retries. */
  private readonly envelopes = new Map<number, string>();

  constructor(readonly settings: CallbackSettings, private readonly nowSeconds: () => number) {}

  /**
   * Queues one event; `duplicates` extra copies follow it. A copy is the same request sent again
   * (same envelope), as WeCom resends it (API.md 1.7 "重新发起请求"): the inbox must store it once.
   */
  send(label: string, plaintext: string, duplicates = 0): Delivery {
    const first = this.record(label, plaintext);
    const all = [first];
    for (let i = 0; i < duplicates; i++) {
      const copy = this.record(label, plaintext);
      copy.duplicateOf = first.id;
      all.push(copy);
    }
    for (const d of all) {
      if (this.held) {
        d.outcome = 'held';
        this.held.push(d);
      } else this.track(this.deliver(d));
    }
    return first;
  }

  /** Starts holding events (nothing is sent until release). */
  hold(): void {
    this.held ??= [];
  }

  /** Sends held events: in order, reversed, or shuffled (out-of-order delivery). */
  release(order: 'fifo' | 'reverse' | 'shuffle' = 'fifo'): number {
    const queue = this.held ?? [];
    this.held = null;
    if (order === 'reverse') queue.reverse();
    if (order === 'shuffle') {
      for (let i = queue.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [queue[i], queue[j]] = [queue[j], queue[i]];
      }
    }
    // Sequential, so the receiver sees exactly this order.
    const run = (async () => {
      for (const d of queue) await this.deliver(d);
    })();
    this.track(run);
    return queue.length;
  }

  /** Resolves when every delivery started so far has finished (including retries). */
  async flush(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** Stops resending and abandons deliveries in flight (simulator shutdown). */
  close(): void {
    this.closed = true;
    this.aborter.abort();
  }

  /** The URL check WeCom makes when the admin saves the callback settings (API.md 1.1). */
  async verifyUrl(): Promise<{ ok: boolean; status: number; body: string }> {
    const { url, aesKey, corpId, token } = this.settings;
    if (!url) throw new Error('no callback URL is configured');
    const echo = String(Math.floor(Math.random() * 1e18));
    const echostr = encryptMessage(aesKey, echo, corpId);
    const timestamp = String(this.nowSeconds());
    const nonce = String(Math.floor(Math.random() * 1e9));
    const q = new URLSearchParams({ msg_signature: signature(token, timestamp, nonce, echostr), timestamp, nonce, echostr });
    const res = await fetch(`${url}${url.includes('?') ? '&' : '?'}${q}`, { signal: AbortSignal.timeout(this.settings.timeoutMs) });
    const body = await res.text();
    return { ok: res.status === 200 && body === echo, status: res.status, body };
  }

  private record(label: string, plaintext: string): Delivery {
    const d: Delivery = { id: this.nextId++, label, plaintext, outcome: 'pending', attempts: [] };
    this.deliveries.push(d);
    if (this.deliveries.length > KEEP) this.deliveries.splice(0, this.deliveries.length - KEEP);
    return d;
  }

  private track(p: Promise<void>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  /** One envelope for the original send, its retries and its copies: WeCom resends the same request. */
  private envelopeFor(d: Delivery): string {
    const key = d.duplicateOf ?? d.id;
    let encrypted = this.envelopes.get(key);
    if (encrypted === undefined) {
      encrypted = encryptMessage(this.settings.aesKey, d.plaintext, this.settings.corpId, randomBytes(16));
      this.envelopes.set(key, encrypted);
      if (this.envelopes.size > ENVELOPES_KEPT) this.envelopes.delete(this.envelopes.keys().next().value!);
    }
    return encrypted;
  }

  private async deliver(d: Delivery): Promise<void> {
    const s = this.settings;
    if (!s.url) {
      d.outcome = 'skipped';
      return;
    }
    d.outcome = 'pending';
    const encrypted = this.envelopeFor(d);
    const timestamp = String(this.nowSeconds());
    const nonce = String(Math.floor(Math.random() * 1e9));
    const q = new URLSearchParams({ msg_signature: signature(s.token, timestamp, nonce, encrypted), timestamp, nonce });
    const body = `<xml><ToUserName><![CDATA[${s.corpId}]]></ToUserName><Encrypt><![CDATA[${encrypted}]]></Encrypt><AgentID><![CDATA[${s.agentId}]]></AgentID></xml>`;
    const target = `${s.url}${s.url.includes('?') ? '&' : '?'}${q}`;
    for (let attempt = 0; attempt <= s.maxRetries && !this.closed; attempt++) {
      if (attempt > 0 && s.retryDelayMs > 0) await new Promise((r) => setTimeout(r, s.retryDelayMs));
      const started = Date.now();
      try {
        const res = await fetch(target, {
          method: 'POST', headers: { 'Content-Type': 'text/xml' }, body,
          signal: AbortSignal.any([AbortSignal.timeout(s.timeoutMs), this.aborter.signal]),
        });
        await res.arrayBuffer();
        d.attempts.push({ at: started, ms: Date.now() - started, status: res.status });
        if (res.status === 200) {
          d.outcome = 'delivered';
          return;
        }
      } catch (err) {
        const e = err as Error;
        d.attempts.push({ at: started, ms: Date.now() - started, error: e.name === 'TimeoutError' ? `no answer within ${s.timeoutMs}ms` : e.message });
      }
    }
    d.outcome = 'failed';
  }
}
