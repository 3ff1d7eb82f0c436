/**
 * JSON shapes of the 话术 library, shared by the server and the sidebar page (type-only: the page
 * must not pull server code into its build).
 */

export type ScriptScope = 'corp' | 'personal';

/** A script as the sidebar shows it for one customer: placeholders already filled. */
export interface ScriptView {
  id: number;
  scope: ScriptScope;
  category: string;
  title: string;
  /** Ready to edit and insert: {称呼} is the customer-safe name, never the rep's remark. */
  text: string;
  uses: number;
  /** Why it is suggested for this customer ("适合售后关怀"), empty outside suggestions. */
  fit: string[];
}

export interface ScriptLibraryView {
  /** Categories in display order (configured first, then any others in use). */
  categories: string[];
  /** Up to three, best first, for this customer: matching the next action, stage and tier. */
  suggestions: ScriptView[];
  /** What the search / category asks for (everything when neither is given), most used first. */
  scripts: ScriptView[];
  /** How many matched in all (scripts holds at most the first page). */
  total: number;
}

/** A script as operators manage it through /api/scripts. */
export interface ScriptRecord {
  id: number;
  scope: ScriptScope;
  ownerUserId: string | null;
  seedKey: string | null;
  category: string;
  title: string;
  text: string;
  kinds: string[];
  stages: string[];
  tiers: string[];
  uses: number;
  lastUsedAt: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}
