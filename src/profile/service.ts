import type { Clock } from '../clock';
import { findFollow, updateFollow } from '../contacts/repository';
import type { Database } from '../db/database';
import { AppError } from '../errors';
import type { Judgement } from '../judgement';
import type { Log } from '../log';
import { upsertCustomerAttributes } from '../reminders/repository';
import type { RemarkRequest } from '../wecom/requests';
import { WecomError } from '../wecom/errors';
import type { ProfileConfig } from './config';
import { checkProfile, type ProfileInput } from './fields';
import { clearTierOverride, findProfile, saveProfile, setTierOverride } from './repository';

/**
 * The rep's edits to a customer's profile (issue 13). WeCom's own remark fields (phone as
 * remark_mobiles, company as remark_company, description) are written to WeCom first through
 * the typed client, on the relation the rep sees the customer through, then mirrored locally
 * (externalcontact/remark triggers no callback); the rest is Fencun's: the 称呼, region and
 * custom fields (customer_profiles) and the birthday (customer_attributes, read by the care
 * rules for the birthday reminder and by the next action for the birthday suggestion).
 */

export interface ProfileEditorDeps {
  db: Database;
  clock: Clock;
  timeZone: string;
  log: Log;
  wecom: { remark(r: RemarkRequest): Promise<void> };
  judgement: Judgement;
  config: ProfileConfig;
}

export interface Editor {
  userId: string;
  name: string;
  /** The relation edits of WeCom fields go through (the viewer's own live one first); null when none is live. */
  throughUserId: string | null;
}

export class ProfileEditor {
  constructor(private readonly d: ProfileEditorDeps) {}

  async save(externalUserId: string, who: Editor, input: ProfileInput, cause: string): Promise<void> {
    const { db, judgement } = this.d;
    const now = this.d.clock().getTime();
    const { value, problems } = checkProfile(input, this.d.config, judgement.policy.nextAction.salutation, { timeZone: this.d.timeZone, now });
    if (problems.length > 0) {
      throw new AppError('INVALID_PROFILE', problems.map((p) => p.message).join('；'), { status: 400, details: { problems } });
    }
    const touchesWecom = value.phone !== undefined || value.company !== undefined || value.description !== undefined;
    if (touchesWecom) {
      if (!who.throughUserId) throw new AppError('RELATION_ENDED', '已不是好友，手机号、公司和描述无法写回企业微信', { status: 409 });
      const follow = await findFollow(db, who.throughUserId, externalUserId);
      const mobiles = follow?.remarkMobiles ?? [];
      // The sidebar edits the first number; any others WeCom has stay as they are.
      const remarkMobiles = value.phone === undefined ? undefined
        : value.phone === null ? mobiles.slice(1) : [value.phone, ...mobiles.slice(1).filter((m) => m !== value.phone)];
      const req: RemarkRequest = {
        userId: who.throughUserId, externalUserId,
        ...(remarkMobiles !== undefined ? { remarkMobiles } : {}),
        ...(value.company !== undefined ? { remarkCompany: value.company ?? '' } : {}),
        ...(value.description !== undefined ? { description: value.description ?? '' } : {}),
      };
      try {
        await this.d.wecom.remark(req);
      } catch (err) {
        if (err instanceof WecomError) {
          this.d.log.warn({ externalUserId, userId: who.throughUserId, errcode: err.errcode, err: err.message }, 'sidebar profile: WeCom remark refused');
          throw new AppError('WECOM_REMARK_FAILED', `企业微信没有保存成功${err.errcode ? `（错误码 ${err.errcode}）` : ''}，资料没有修改，请稍后再试`,
            { status: 502, details: { errcode: err.errcode } });
        }
        throw err;
      }
      await db.transaction((tx) => updateFollow(tx, {
        userId: who.throughUserId!, externalUserId, tags: null,
        ...(remarkMobiles !== undefined ? { remarkMobiles } : {}),
        ...(value.company !== undefined ? { remarkCorpName: value.company } : {}),
        ...(value.description !== undefined ? { description: value.description } : {}),
      }, { at: now, now, cause }));
    }
    if (value.salutation !== undefined || value.region !== undefined || value.custom !== undefined) {
      await db.transaction(async (tx) => {
        let custom: Record<string, string | number> | undefined;
        if (value.custom !== undefined) {
          const stored = (await findProfile(tx, externalUserId)).custom;
          custom = { ...stored };
          for (const [k, v] of Object.entries(value.custom)) {
            if (v === null) delete custom[k];
            else custom[k] = v;
          }
        }
        await saveProfile(tx, externalUserId, { salutation: value.salutation, region: value.region, custom }, who.userId, now);
      });
    }
    if (value.birthday !== undefined) {
      await upsertCustomerAttributes(db, [{ externalUserId, birthday: value.birthday }], 'sidebar', now);
    }
  }

  async setSalesStage(externalUserId: string, who: Editor, stage: string | null): Promise<void> {
    const stages = this.d.config.salesStages;
    if (stage !== null && !stages.some((s) => s.id === stage)) {
      throw new AppError('UNKNOWN_SALES_STAGE', `没有这个销售阶段，可选：${stages.map((s) => s.label).join('、')}`, { status: 400 });
    }
    const now = this.d.clock().getTime();
    await this.d.db.transaction((tx) => saveProfile(tx, externalUserId, { salesStage: { id: stage, by: who.userId } }, who.userId, now));
  }

  /** A tier decided by a person (it beats the score until removed); the stored tier is recomputed at once. */
  async overrideTier(externalUserId: string, who: Editor, tier: string, reason: string): Promise<void> {
    const tiers = this.d.judgement.policy.tiers.tiers;
    if (!tiers.some((t) => t.id === tier)) {
      throw new AppError('UNKNOWN_TIER', `没有这个等级，可选：${tiers.map((t) => t.label).join('、')}`, { status: 400 });
    }
    const now = this.d.clock();
    await this.d.db.transaction((tx) => setTierOverride(tx, externalUserId, { tier, reason, author: who.name, setAt: now.getTime() }));
    await this.d.judgement.tiers.recompute([externalUserId], now, 'manual');
  }

  async clearTierOverride(externalUserId: string): Promise<void> {
    const now = this.d.clock();
    await this.d.db.transaction((tx) => clearTierOverride(tx, externalUserId));
    await this.d.judgement.tiers.recompute([externalUserId], now, 'manual');
  }
}
