import { CalendarCache, ZoneCalendar } from '../policy/zone-calendar';
import { CompiledGroupRule, CompiledTierRule, PressurePolicy, tierRuleFor } from './schema';
import { PressureState, TouchCategory, TouchChannel, TouchRequest } from './types';

/** Turns a request and a customer's state into the numbers the rules count with. */

export interface ResolvedRequest {
  category: TouchCategory;
  channel: TouchChannel;
  followUp: boolean;
}

/** A state digested once per request: touch times split by what they count against. */
export interface Prepared {
  state: PressureState;
  req: ResolvedRequest;
  rule: CompiledTierRule;
  group: CompiledGroupRule;
  local: ZoneCalendar;
  /** Times (ms) of touches of the requested category. */
  sameCategory: number[];
  /** Times of care/marketing/welcome touches: the customer's 1:1 proactive load. */
  proactive: number[];
  /** Times of the customer's mass messages, corp- and member-created alike (WeCom counts them together). */
  mass: number[];
  lastProactive: number | null;
  /** Proactive touches since the customer last wrote. */
  unanswered: number;
}

const CUSTOMER_PROACTIVE = new Set<TouchCategory>(['care', 'marketing', 'welcome']);

export function defaultChannel(category: TouchCategory): TouchChannel {
  // Campaigns and group content go out as add_msg_template (企业群发); care is a 1:1 chat the
  // rep sends from the sidebar; welcome is send_welcome_msg.
  if (category === 'marketing' || category === 'group_content') return 'corp_mass';
  if (category === 'welcome') return 'welcome';
  return 'direct';
}

export function resolveRequest(r: TouchCategory | TouchRequest): ResolvedRequest {
  const req = typeof r === 'string' ? { category: r } : r;
  return { category: req.category, channel: req.channel ?? defaultChannel(req.category), followUp: req.complaintFollowUp === true };
}

/**
 * Digests a state for one request. `reuse` lets a batch recycle one Prepared (and its arrays)
 * across customers instead of allocating five objects per customer.
 */
export function prepare(
  state: PressureState,
  req: ResolvedRequest,
  policy: PressurePolicy,
  cals: CalendarCache,
  reuse?: Prepared,
): Prepared {
  const inbound = state.lastInboundAt ? state.lastInboundAt.getTime() : -Infinity;
  const isGroup = req.category === 'group_content';
  const p: Prepared = reuse ?? {
    state,
    req,
    rule: policy.fallback,
    group: policy.group,
    local: cals.get(policy.timeZone),
    sameCategory: [],
    proactive: [],
    mass: [],
    lastProactive: null,
    unanswered: 0,
  };
  p.state = state;
  p.req = req;
  p.rule = tierRuleFor(policy, state.tier);
  p.local = cals.get(state.timeZone || policy.timeZone);
  p.sameCategory.length = p.proactive.length = p.mass.length = 0;
  p.lastProactive = null;
  p.unanswered = 0;
  for (const t of state.touches) {
    if (t.category === 'service') continue;
    const ms = t.at.getTime();
    const channel = t.channel ?? defaultChannel(t.category);
    if (t.category === req.category) p.sameCategory.push(ms);
    // Group content counts against the group's quota, not the members' (wecom/API.md section 5).
    if (t.category !== 'group_content' && (channel === 'corp_mass' || channel === 'member_mass')) p.mass.push(ms);
    // A group's own load is its group_content; a customer's is their 1:1 proactive touches.
    if (isGroup ? t.category === 'group_content' : CUSTOMER_PROACTIVE.has(t.category)) {
      p.proactive.push(ms);
      if (p.lastProactive === null || ms > p.lastProactive) p.lastProactive = ms;
      if (ms > inbound) p.unanswered++;
    }
  }
  return p;
}

export function countIn(times: number[], start: number, end: number): number {
  let n = 0;
  for (const t of times) if (t >= start && t < end) n++;
  return n;
}

/**
 * Sources of stored touches that went out as a WeCom mass message whatever their category (a
 * care campaign is still 企业群发 and counts against WeCom's quota). Other sources take the
 * category's default channel.
 */
const MASS_SOURCES = new Set(['campaign', 'group_content']);

export function channelOfStoredTouch(source: string): TouchChannel | undefined {
  return MASS_SOURCES.has(source) ? 'corp_mass' : undefined;
}
