import type Koa from 'koa';
import type { Clock } from '../clock';
import type { AdminRepository, AuditEntry } from './repository';

/**
 * Every change made through the console is written here: who (the signed-in identity and the
 * address it came from), when, what (action and target), and what it replaced → what it wrote.
 * Written after the change succeeded, so a refused or failed change leaves no row.
 */
export interface AuditChange {
  action: string;
  target?: string | null;
  detail?: string | null;
  before?: unknown;
  after?: unknown;
}

export class Auditor {
  constructor(private readonly repo: AdminRepository, private readonly clock: Clock) {}

  record(ctx: Koa.Context, actor: string, c: AuditChange): Promise<void> {
    return this.repo.audit({
      at: this.clock().getTime(), actor, ip: ctx.ip || 'unknown', action: c.action, target: c.target ?? null, detail: c.detail ?? null,
      before: c.before ?? null, after: c.after ?? null,
    });
  }

  list(limit: number, beforeId?: number): Promise<AuditEntry[]> {
    return this.repo.auditLog(limit, beforeId);
  }
}
