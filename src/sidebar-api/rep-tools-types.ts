/**
 * JSON shapes of the rep's tools on the customer and group views (issue 13): the profile fields
 * a rep edits, the sales stage, tier override choices, follow-up kinds and colleagues. Like
 * types.ts, no imports: the front-end build reads this file on its own.
 */

export type FollowUpTypeId = 'wechat' | 'phone' | 'store' | 'visit';

export interface CustomFieldView {
  key: string;
  label: string;
  type: 'text' | 'number' | 'date' | 'select';
  options: string[];
  maxLength: number;
  value: string | null;
}

export interface ProfileFieldsView {
  /** The 称呼 the rep set; null when none (话术 then follow the configured rule). */
  salutation: string | null;
  /** How 话术 address the customer now (称呼, else the customer-safe part of the remark or the WeCom name); '' = nobody by name. */
  addressedAs: string;
  /** e.g. 138****0001; the full number is never sent to the page. */
  phoneMasked: string | null;
  /** "1990-05-03", or "05-03" when the year is unknown. */
  birthday: string | null;
  /** e.g. "5月3日". */
  birthdayLabel: string | null;
  region: string | null;
  company: string | null;
  description: string | null;
  custom: CustomFieldView[];
  /** Phone, company and description are WeCom's remark fields: writable only through a live relation. */
  wecomEditable: boolean;
}

export interface SalesStageView {
  id: string | null;
  label: string | null;
  /** "李娜 · 昨天 09:12" */
  setLabel: string | null;
  options: { id: string; label: string }[];
}

export interface ColleagueView {
  userId: string;
  name: string;
  /** "最近联系：昨天 09:12（客户来消息）" or "还没有单聊过". */
  lastContactLabel: string;
}

/** On the contact view as `tools`. */
export interface RepToolsView {
  profile: ProfileFieldsView;
  salesStage: SalesStageView;
  /** The tiers a rep may set as an override, highest first. */
  tierOptions: { id: string; label: string }[];
  followUpTypes: { id: FollowUpTypeId; label: string }[];
  colleagues: ColleagueView[];
}

/** A customer in a group, on the group view as `members`. */
export interface GroupMemberView {
  externalUserId: string;
  name: string;
  tierLabel: string;
  tone: 'top' | 'high' | 'mid' | 'low';
  tags: string[];
  /** The viewer follows them (or their team does): a tap opens their profile. */
  canOpen: boolean;
  complaint: boolean;
}
