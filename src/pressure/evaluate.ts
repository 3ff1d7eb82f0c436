import { CalendarCache } from '../policy/zone-calendar';
import { prepare, Prepared, resolveRequest } from './prepare';
import { Block, blocksAt } from './rules';
import { PressurePolicy } from './schema';
import { PressureState, TouchCategory, TouchRequest, Verdict } from './types';

/**
 * May we contact this customer now, with this kind of touch? Pure: the answer depends only on
 * the state, the request, the instant and the policy.
 */

// Each step jumps to a lift time strictly later than the last, and obstacles are few (a quiet
// night, a gap, a window end), so a handful of steps suffice; the bound only guards bad input.
const MAX_STEPS = 64;

export function evaluate(state: PressureState, request: TouchCategory | TouchRequest, at: Date, policy: PressurePolicy): Verdict {
  return evaluateWith(state, request, at, policy, new CalendarCache());
}

/**
 * Batch form for campaign planning: one verdict per state, same order. Calendar arithmetic and
 * scratch space are shared across the batch, so the cost per customer is a scan of their own
 * touches plus a few window look-ups.
 */
export function evaluateMany(states: PressureState[], request: TouchCategory | TouchRequest, at: Date, policy: PressurePolicy): Verdict[] {
  const cals = new CalendarCache();
  const req = resolveRequest(request);
  const out = new Array<Verdict>(states.length);
  let scratch: Prepared | undefined;
  for (let i = 0; i < states.length; i++) {
    scratch = prepare(states[i], req, policy, cals, scratch);
    out[i] = judge(scratch, at.getTime(), policy, cals);
  }
  return out;
}

/**
 * Verdicts for many (state, instant) pairs with calendars and scratch shared, for a planner that
 * asks again at a later instant when a customer is deferred. Same answers as `evaluate`.
 */
export class BatchEvaluator {
  private readonly cals = new CalendarCache();
  private scratch: Prepared | undefined;
  private readonly req: ReturnType<typeof resolveRequest>;

  constructor(request: TouchCategory | TouchRequest, private readonly policy: PressurePolicy) {
    this.req = resolveRequest(request);
  }

  verdict(state: PressureState, at: number): Verdict {
    this.scratch = prepare(state, this.req, this.policy, this.cals, this.scratch);
    return judge(this.scratch, at, this.policy, this.cals);
  }
}

/** evaluate with calendars shared by the caller, for several verdicts at one instant. */
export function evaluateWith(
  state: PressureState,
  request: TouchCategory | TouchRequest,
  at: Date,
  policy: PressurePolicy,
  cals: CalendarCache,
): Verdict {
  return judge(prepare(state, resolveRequest(request), policy, cals), at.getTime(), policy, cals);
}

function judge(p: Prepared, t: number, policy: PressurePolicy, cals: CalendarCache): Verdict {
  const blocks = blocksAt(p, t, policy, cals);
  if (blocks.length === 0) return { allowed: true };
  const next = blocks.some((b) => b.liftAt === null) ? null : walkForward(p, t, blocks, policy, cals);
  return { allowed: false, reasons: blocks.map((b) => b.code), nextAllowedAt: next === null ? null : new Date(next) };
}

/**
 * Earliest allowed instant after t, assuming no new touches. Every obstacle holds until its own
 * lift time (a gap until it elapses, a cap until its window ends, quiet hours until they end),
 * so the latest lift time is a lower bound; re-checking there catches a new obstacle (landing
 * in the night, or in a window that is also full) and repeats.
 */
function walkForward(p: Prepared, from: number, first: Block[], policy: PressurePolicy, cals: CalendarCache): number | null {
  let t = from;
  let blocks = first;
  for (let step = 0; step < MAX_STEPS; step++) {
    if (step > 0) blocks = blocksAt(p, t, policy, cals);
    if (blocks.length === 0) return t;
    let next = t;
    for (const b of blocks) {
      if (b.liftAt === null) return null;
      if (b.liftAt > next) next = b.liftAt;
    }
    if (next <= t) return null;
    t = next;
  }
  return null;
}
