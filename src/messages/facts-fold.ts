/**
 * Per-customer message facts as a left fold over their 1:1 messages in time order: pure, so the
 * incremental update (fold the new messages into the stored state) and the full recount agree.
 *
 * A "conversation" starts when the customer writes after our last message (or first ever); it is
 * answered when we write back. reply ratio = answered / conversations.
 */
export interface FactsState {
  lastInboundAt: number | null;
  lastOutboundAt: number | null;
  /** First customer message we have not answered yet (the SLA clock); null when answered. */
  unansweredSince: number | null;
  inboundCount: number;
  outboundCount: number;
  conversations: number;
  answeredConversations: number;
  lastDirection: 'in' | 'out' | null;
  lastMsgAt: number | null;
  lastMsgId: number;
}

export const EMPTY_FACTS: FactsState = {
  lastInboundAt: null, lastOutboundAt: null, unansweredSince: null, inboundCount: 0, outboundCount: 0,
  conversations: 0, answeredConversations: 0, lastDirection: null, lastMsgAt: null, lastMsgId: 0,
};

export interface FoldMessage {
  id: number;
  direction: 'in' | 'out';
  at: number;
}

export function foldMessage(s: FactsState, m: FoldMessage): FactsState {
  const base = { ...s, lastMsgAt: Math.max(s.lastMsgAt ?? m.at, m.at), lastMsgId: Math.max(s.lastMsgId, m.id), lastDirection: m.direction };
  if (m.direction === 'in') {
    const starts = s.lastDirection !== 'in';
    return {
      ...base,
      lastInboundAt: Math.max(s.lastInboundAt ?? m.at, m.at),
      inboundCount: s.inboundCount + 1,
      conversations: s.conversations + (starts ? 1 : 0),
      unansweredSince: s.unansweredSince ?? m.at,
    };
  }
  return {
    ...base,
    lastOutboundAt: Math.max(s.lastOutboundAt ?? m.at, m.at),
    outboundCount: s.outboundCount + 1,
    answeredConversations: s.answeredConversations + (s.lastDirection === 'in' ? 1 : 0),
    unansweredSince: null,
  };
}

/** True when every new message is at or after the watermark, so folding them in is exact. */
export function canFoldIncrementally(s: FactsState, next: FoldMessage[]): boolean {
  return s.lastMsgAt === null || next.every((m) => m.at >= s.lastMsgAt!);
}
