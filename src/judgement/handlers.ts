import type { HandlerRegistry } from '../inbox/handlers';
import type { Judgement } from './index';

/**
 * Re-tiers a customer as soon as an event about them is processed (added, edited tags, deleted,
 * deleted the rep). Registered after the data handlers, so it sees the state they wrote.
 * Idempotent: recomputing unchanged data writes no history.
 */
export function registerJudgementHandlers(handlers: HandlerRegistry, judgement: Judgement): void {
  handlers.on(
    ['add_external_contact', 'add_half_external_contact', 'edit_external_contact', 'del_external_contact', 'del_follow_user'],
    async ({ event, now }) => {
      if (event.externalUserId) await judgement.tiers.recompute([event.externalUserId], now, 'event');
    },
  );
}
