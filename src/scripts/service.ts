import type { Clock } from '../clock';
import type { Database } from '../db/database';
import { AppError } from '../errors';
import { STAGE_LABELS, type LifecycleStage } from '../lifecycle/types';
import type { ScriptsConfig } from './config';
import { fillPlaceholders, templatize, type PlaceholderValues } from './placeholders';
import { matchesQuery, rankScripts, type RankContext } from './rank';
import { ScriptRepository, type Script } from './repository';
import type { ScriptLibraryView, ScriptRecord, ScriptView } from './types';
import { MAX_CORP_SCRIPTS, MAX_PERSONAL_SCRIPTS } from './validate';

export interface ScriptLibraryDeps {
  db: Database;
  clock: Clock;
  config: ScriptsConfig;
  /** Tier id → label (tiers.json), for the "why suggested" line. */
  tierLabels: Map<string, string>;
}

/** The next actions in the words the sidebar's card uses. */
const KIND_LABELS: Record<string, string> = {
  service: '回复客户', complaint_follow_up: '投诉跟进', churn_wake_up: '唤醒', reminder: '待办提醒', post_sale_care: '售后关怀',
  birthday: '生日', anniversary: '纪念日', revisit: '回访', marketing: '推荐',
};
/** A page of scripts is what a phone scrolls through; search narrows the rest. */
const PAGE = 50;
const PERSONAL_CATEGORY = '我的话术';

/**
 * The 话术 library: the corp's scripts (seeded from config/scripts.json, then managed by
 * operators) and each rep's own. For one customer it fills the placeholders with what may be said
 * to them and ranks a few suggestions by the card's next action, the stage and the tier.
 */
export class ScriptLibrary {
  private readonly repo: ScriptRepository;
  private seeded: Promise<void> | null = null;

  constructor(private readonly d: ScriptLibraryDeps) {
    this.repo = new ScriptRepository(d.db);
  }

  /** Seeds the configured corp scripts once per process; the unique seed key makes instances agree. */
  ensureSeeded(): Promise<void> {
    this.seeded ??= this.repo.seed(this.d.config.scripts.map((s) => ({
      scope: 'corp', ownerUserId: null, seedKey: s.key, category: s.category, title: s.title, text: s.text.trim(),
      kinds: s.kinds, stages: s.stages, tiers: s.tiers, createdBy: 'config/scripts.json',
    })), this.d.clock().getTime()).then(() => undefined, (err) => {
      this.seeded = null;
      throw err;
    });
    return this.seeded;
  }

  /** What the sidebar's 话术 sheet shows for one customer. */
  async forCustomer(userId: string, values: PlaceholderValues, ctx: RankContext, f: { q?: string; category?: string }): Promise<ScriptLibraryView> {
    await this.ensureSeeded();
    const all = await this.repo.visibleTo(userId);
    const view = (s: Script, fit: string[] = []): ScriptView => ({
      id: s.id, scope: s.scope, category: s.scope === 'personal' && !s.category ? PERSONAL_CATEGORY : s.category, title: s.title,
      text: fillPlaceholders(s.text, values), uses: s.uses, fit,
    });
    const q = f.q?.trim() ?? '';
    const matching = all
      .filter((s) => (!f.category || view(s).category === f.category) && matchesQuery({ ...s, text: fillPlaceholders(s.text, values) }, q))
      .sort((a, b) => b.uses - a.uses || a.id - b.id);
    const browsing = !q && !f.category;
    return {
      categories: this.categories(all),
      suggestions: browsing ? rankScripts(all, ctx).map((r) => view(r.script, r.matched.map((m) => this.fitLabel(m, ctx)))) : [],
      scripts: matching.slice(0, PAGE).map((s) => view(s)),
      total: matching.length,
    };
  }

  /** A rep's own script, saved from the sidebar: this customer's name and product become placeholders again. */
  async savePersonal(userId: string, body: { category: string; title: string; text: string; from?: number }, values: PlaceholderValues): Promise<ScriptView> {
    if ((await this.repo.count('personal', userId)) >= MAX_PERSONAL_SCRIPTS) {
      throw new AppError('TOO_MANY_SCRIPTS', `每人最多保存 ${MAX_PERSONAL_SCRIPTS} 条个人话术，请先删掉不用的`, { status: 409 });
    }
    const text = templatize(body.text, values);
    // Edited from a script the rep may see: it suits what that one suits (a copy of an after-delivery
    // script is not suggested to a customer who bought months ago) and keeps its title.
    const src = body.from === undefined ? null : await this.repo.find(body.from);
    const from = src && (src.scope === 'corp' || src.ownerUserId === userId) ? src : null;
    const s = await this.repo.create({
      scope: 'personal', ownerUserId: userId, category: body.category || PERSONAL_CATEGORY,
      title: body.title || from?.title || shortTitle(text), text,
      kinds: from?.kinds ?? [], stages: from?.stages ?? [], tiers: from?.tiers ?? [], createdBy: userId,
    }, this.d.clock().getTime());
    return { id: s.id, scope: s.scope, category: s.category, title: s.title, text: fillPlaceholders(s.text, values), uses: 0, fit: [] };
  }

  /** Only the rep's own; a corp script or a colleague's is "not found" (the rep cannot tell them apart). */
  async deletePersonal(userId: string, id: number): Promise<void> {
    const s = await this.repo.find(id);
    if (!s || s.scope !== 'personal' || s.ownerUserId !== userId) throw notFound('没有找到这条个人话术');
    await this.repo.remove(id, this.d.clock().getTime());
  }

  /** Counts one use (inserted or copied) of a script the rep may see. */
  async countUse(userId: string, id: number): Promise<void> {
    const s = await this.repo.find(id);
    if (!s || (s.scope === 'personal' && s.ownerUserId !== userId)) throw notFound('没有找到这条话术');
    await this.repo.countUse(id, this.d.clock().getTime());
  }

  // ---- operators (machine API) --------------------------------------------------------------

  async list(f: { scope?: 'corp' | 'personal'; ownerUserId?: string; category?: string; q?: string }): Promise<ScriptRecord[]> {
    await this.ensureSeeded();
    const rows = await this.repo.list(f);
    return rows.filter((s) => (!f.category || s.category === f.category) && matchesQuery(s, f.q ?? '')).map(record);
  }

  async get(id: number): Promise<ScriptRecord> {
    const s = await this.repo.find(id);
    if (!s) throw notFound(`no script with id ${id}`);
    return record(s);
  }

  async createCorp(body: Pick<Script, 'category' | 'title' | 'text' | 'kinds' | 'stages' | 'tiers'>, actor: string): Promise<ScriptRecord> {
    await this.ensureSeeded();
    if ((await this.repo.count('corp', null)) >= MAX_CORP_SCRIPTS) {
      throw new AppError('TOO_MANY_SCRIPTS', `the corp library holds at most ${MAX_CORP_SCRIPTS} scripts; delete some first`, { status: 409 });
    }
    return record(await this.repo.create({ scope: 'corp', ownerUserId: null, ...body, createdBy: actor }, this.d.clock().getTime()));
  }

  async update(id: number, patch: Partial<Pick<Script, 'category' | 'title' | 'text' | 'kinds' | 'stages' | 'tiers'>>): Promise<ScriptRecord> {
    if (!(await this.repo.update(id, patch, this.d.clock().getTime()))) throw notFound(`no script with id ${id}`);
    return this.get(id);
  }

  async remove(id: number): Promise<void> {
    if (!(await this.repo.remove(id, this.d.clock().getTime()))) throw notFound(`no script with id ${id}`);
  }

  private categories(all: Script[]): string[] {
    const used = new Set(all.map((s) => (s.scope === 'personal' && !s.category ? PERSONAL_CATEGORY : s.category)));
    const configured = this.d.config.categories.filter((c) => used.has(c));
    return [...configured, ...[...used].filter((c) => !configured.includes(c)).sort()];
  }

  private fitLabel(m: 'kind' | 'stage' | 'tier', ctx: RankContext): string {
    if (m === 'kind') return KIND_LABELS[ctx.kind ?? ''] ?? ctx.kind ?? '';
    if (m === 'stage') return STAGE_LABELS[ctx.stage as LifecycleStage] ?? ctx.stage ?? '';
    return `${this.d.tierLabels.get(ctx.tier ?? '') ?? ctx.tier}客户`;
  }
}

function shortTitle(text: string): string {
  const t = text.replace(/\{[^}]*\}/g, '').replace(/^[\s，,、：:！!。]+/u, '').replace(/\s+/g, ' ').trim();
  return t.length > 12 ? `${t.slice(0, 12).replace(/[\s，,、。！!？?；;：:～~]+$/u, '')}…` : t || PERSONAL_CATEGORY;
}

function notFound(message: string): AppError {
  return new AppError('SCRIPT_NOT_FOUND', message, { status: 404 });
}

function record(s: Script): ScriptRecord {
  return {
    id: s.id, scope: s.scope, ownerUserId: s.ownerUserId, seedKey: s.seedKey, category: s.category, title: s.title, text: s.text,
    kinds: s.kinds, stages: s.stages, tiers: s.tiers, uses: s.uses, lastUsedAt: s.lastUsedAt === null ? null : new Date(s.lastUsedAt).toISOString(),
    createdBy: s.createdBy, createdAt: new Date(s.createdAt).toISOString(), updatedAt: new Date(s.updatedAt).toISOString(),
  };
}
