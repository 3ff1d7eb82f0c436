import type { Follow } from '../contacts/types';
import { FOLLOW_UP_LABELS, FOLLOW_UP_TYPES } from '../followups/wording';
import { nextAnnual } from '../next-action/occasions';
import type { ProfileConfig } from '../profile/config';
import { birthdayText, maskPhone } from '../profile/fields';
import type { Colleague, StoredProfile } from '../profile/repository';
import type { Formatter } from './format';
import type { ColleagueView, RepToolsView } from './rep-tools-types';

/** Pure mapping of the rep's tools on the contact view (issue 13). */

export interface RepToolsParts {
  f: Formatter;
  config: ProfileConfig;
  stored: StoredProfile;
  birthday: { year: number | null; month: number; day: number } | null;
  /** The relation the viewer sees the customer through: WeCom's remark fields are on it. */
  primary: Follow | null;
  relationActive: boolean;
  addressedAs: string;
  tiers: { id: string; label: string }[];
  colleagues: Colleague[];
  /** Who set the sales stage, by name. */
  stageSetter: string | null;
}

export function repToolsView(p: RepToolsParts): RepToolsView {
  const { f, stored, primary } = p;
  const phone = primary?.remarkMobiles[0] ?? null;
  const stage = stored.salesStage ? p.config.salesStages.find((s) => s.id === stored.salesStage) ?? null : null;
  return {
    profile: {
      salutation: stored.salutation,
      addressedAs: p.addressedAs,
      phoneMasked: phone ? maskPhone(phone) : null,
      birthday: p.birthday ? birthdayText(p.birthday) : null,
      birthdayLabel: p.birthday ? nextAnnual(p.birthday.month, p.birthday.day, new Date(f.nowMs), f.timeZone).dateLabel : null,
      region: stored.region,
      company: primary?.remarkCorpName ?? null,
      description: primary?.description ?? null,
      custom: p.config.customFields.map((c) => ({
        key: c.key, label: c.label, type: c.type, options: c.options ?? [], maxLength: c.maxLength,
        value: stored.custom[c.key] === undefined ? null : String(stored.custom[c.key]),
      })),
      wecomEditable: p.relationActive && primary !== null,
    },
    salesStage: {
      id: stage?.id ?? null,
      label: stage?.label ?? null,
      setLabel: stage && stored.salesStageAt !== null ? `${p.stageSetter ?? stored.salesStageBy ?? ''} · ${f.past(stored.salesStageAt)}` : null,
      options: p.config.salesStages.map((s) => ({ id: s.id, label: s.label })),
    },
    tierOptions: p.tiers,
    followUpTypes: FOLLOW_UP_TYPES.map((id) => ({ id, label: FOLLOW_UP_LABELS[id] })),
    colleagues: p.colleagues.map((c) => colleagueView(c, f)),
  };
}

export function colleagueView(c: Colleague, f: Formatter): ColleagueView {
  const label = c.lastContactAt === null
    ? '还没有单聊过'
    : `最近联系：${f.past(c.lastContactAt)}（${c.lastDirection === 'in' ? '客户来消息' : '发过消息'}）`;
  return { userId: c.userId, name: c.name, lastContactLabel: label };
}
