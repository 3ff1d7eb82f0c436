import { createHash } from 'node:crypto';
import type { Clock } from '../clock';
import type { Database } from '../db/database';
import { errorMessage } from '../errors';
import { insertIgnoringDuplicates, num, quote } from '../db/sql';
import type { Log } from '../log';

export interface StoredToken {
  value: string;
  expiresAt: number;
  /** When it was fetched from WeCom (epoch ms). */
  fetchedAt: number;
}

/** Rows of wecom_tokens: access tokens and JS-SDK tickets shared by every instance. */
export class TokenStore {
  constructor(private readonly db: Database) {}

  async get(key: string): Promise<StoredToken | null> {
    const q = (id: string) => quote(this.db, id);
    const rows = await this.db.query(`SELECT ${q('value')} AS v, expires_at, updated_at FROM wecom_tokens WHERE ${q('key')} = ?`, [key]);
    return rows.length ? { value: String(rows[0].v), expiresAt: num(rows[0].expires_at), fetchedAt: num(rows[0].updated_at) } : null;
  }

  async put(key: string, token: StoredToken): Promise<void> {
    const q = (id: string) => quote(this.db, id);
    const inserted = await insertIgnoringDuplicates(this.db, 'wecom_tokens', ['key', 'value', 'expires_at', 'updated_at'],
      [[key, token.value, token.expiresAt, token.fetchedAt]], ['key']);
    if (inserted === 0) {
      await this.db.exec(`UPDATE wecom_tokens SET ${q('value')} = ?, expires_at = ?, updated_at = ? WHERE ${q('key')} = ?`,
        [token.value, token.expiresAt, token.fetchedAt, key]);
    }
  }

  /** Drops the row only if it still holds `value`: another instance may already have replaced it. */
  async drop(key: string, value: string): Promise<void> {
    const q = (id: string) => quote(this.db, id);
    await this.db.exec(`DELETE FROM wecom_tokens WHERE ${q('key')} = ? AND ${q('value')} = ?`, [key, value]);
  }
}

/** A cache key naming the corp and app without containing the secret. */
export function credentialKey(kind: string, corpId: string, secret: string): string {
  return `${kind}:${corpId}:${createHash('sha256').update(secret).digest('hex').slice(0, 16)}`;
}

/**
 * One cached credential (access token or ticket): memory first, then the shared table, then a
 * fetch from WeCom. Refreshed `refreshEarlyMs` before expiry, and single-flight: however many
 * callers ask at once, one fetch happens and all of them get its result. Two instances racing
 * may both fetch; WeCom returns the same token within its validity (API.md 4.1), so that is
 * harmless.
 */
export class CachedCredential {
  private memory: StoredToken | null = null;
  private inflight: Promise<string> | null = null;

  constructor(
    private readonly key: string,
    private readonly store: TokenStore,
    private readonly clock: Clock,
    private readonly refreshEarlyMs: number,
    private readonly log: Log,
    private readonly fetch: () => Promise<{ value: string; expiresInMs: number }>,
  ) {}

  get(): Promise<string> {
    if (this.memory && this.fresh(this.memory)) return Promise.resolve(this.memory.value);
    return (this.inflight ??= this.load().finally(() => {
      this.inflight = null;
    }));
  }

  /** Forgets `value` (WeCom called it invalid); the next get() fetches a new one. */
  async invalidate(value: string): Promise<void> {
    if (this.memory?.value === value) this.memory = null;
    try {
      await this.store.drop(this.key, value);
    } catch (err) {
      this.log.warn({ key: this.kind(), err: errorMessage(err) }, 'could not drop a rejected WeCom credential from the database');
    }
  }

  private async load(): Promise<string> {
    try {
      const stored = await this.store.get(this.key);
      if (stored && this.fresh(stored)) {
        this.memory = stored;
        return stored.value;
      }
    } catch (err) {
      this.log.warn({ key: this.kind(), err: errorMessage(err) }, 'could not read the shared WeCom credential; fetching a new one');
    }
    const fetched = await this.fetch();
    const now = this.clock().getTime();
    const token = { value: fetched.value, expiresAt: now + fetched.expiresInMs, fetchedAt: now };
    this.memory = token;
    try {
      await this.store.put(this.key, token);
    } catch (err) {
      this.log.warn({ key: this.kind(), err: errorMessage(err) }, 'could not store the WeCom credential for other instances');
    }
    return token.value;
  }

  /**
   * Fresh until `refreshEarlyMs` before expiry — or half its lifetime, for a token WeCom handed
   * out with little time left (within validity gettoken returns the same token, API.md 4.1), so
   * that such a token does not trigger a gettoken on every call.
   */
  private fresh(t: StoredToken): boolean {
    const early = Math.min(this.refreshEarlyMs, Math.max(0, t.expiresAt - t.fetchedAt) / 2);
    return t.expiresAt - early > this.clock().getTime();
  }

  private kind(): string {
    return this.key.split(':')[0];
  }
}
