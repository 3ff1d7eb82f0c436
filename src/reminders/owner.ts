/** One rep following the customer, with what tells who owns a cause such as an order. */
export interface OwnerCandidate {
  userId: string;
  /** The rep's latest 1:1 message with the customer (either direction) up to the cause's instant. */
  lastChatAt: number | null;
  /** When the relation began (null when WeCom never said). */
  addedAt: number | null;
}

/**
 * Who owns a cause (an order's post-sale care) among the reps actively following the customer.
 * Orders carry no rep, so the seller is read from the chat: the rep who last talked with the
 * customer up to the payment is the one who made the sale. When no rep chatted before it, the
 * earliest active follow owns it (the customer's first relation). Ties fall to the smaller user
 * id, so every run and every instance picks the same rep.
 */
export function chooseOwner<T extends OwnerCandidate>(candidates: T[]): T | null {
  let best: T | null = null;
  for (const c of candidates) if (!best || before(c, best)) best = c;
  return best;
}

function before(a: OwnerCandidate, b: OwnerCandidate): boolean {
  if ((a.lastChatAt ?? -1) !== (b.lastChatAt ?? -1)) return (a.lastChatAt ?? -1) > (b.lastChatAt ?? -1);
  const added = (x: OwnerCandidate) => x.addedAt ?? Number.MAX_SAFE_INTEGER;
  if (added(a) !== added(b)) return added(a) < added(b);
  return a.userId < b.userId;
}
