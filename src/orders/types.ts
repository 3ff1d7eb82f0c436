/** An order (or other value event) as imported; a refund is a negative amount. */
export interface OrderInput {
  /** The shop's own order id: the idempotency key. */
  orderId: string;
  /** At least one of the three identifies the customer. */
  externalUserId?: string | null;
  unionid?: string | null;
  /** Digits only (normalised at validation). */
  mobile?: string | null;
  /** Yuan, at most 2 decimals. */
  amount: number;
  /** Epoch ms. */
  paidAt: number;
  product?: string | null;
  /** Line items as given (JSON-serialisable). */
  items?: unknown;
}

export interface OrderImportResult {
  created: number;
  updated: number;
  unchanged: number;
  /** Stored, but no customer matched yet; linked when the contact appears. */
  unlinked: number;
}

/** One problem with one input row: `line` for CSV (1 = header), `index` for API batches. */
export interface RowError {
  line?: number;
  index?: number;
  column: string;
  reason: string;
}
