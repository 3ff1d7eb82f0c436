/**
 * Small types shared by the judgement modules (tiers, lifecycle, pressure, next action).
 * Instants are `Date`, money is yuan, counts are whole numbers.
 */

/**
 * State of the rep↔customer follow relation, from WeCom's del_follow_user / del_external_contact
 * events (wecom/API.md section 3). Anything but `active` means we cannot message them.
 */
export type RelationStatus = 'active' | 'deleted_by_customer' | 'deleted_by_rep' | 'ended';

export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';
