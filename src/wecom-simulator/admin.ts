import { randomBytes } from 'node:crypto';
import type { SimContext } from './api/context';
import { confirmTemplate, receivedCount, settleConfirmations } from './api/mass';
import type { CallbackSettings, Delivery } from './callbacks';
import { jsapiSignature } from './crypto';
import type { Fault, WindowRule } from './platform';
import type { SeedData } from './seed';
import type { DeliveryKind, LedgerEntry, UploadedMediaState } from './state';
import { MEDIA_TTL_MS } from './api/media';
import { WorldChanges, type ChangeOptions, type ChangeResult } from './world';

/** Which credentials a JS-SDK signature is checked against: wx.config or wx.agentConfig. */
export type TicketKind = 'jsapi' | 'agent_config';

/**
 * Everything a test (or the admin HTTP API) can do to the simulated WeCom besides calling its
 * API: change the corp (see WorldChanges), act as a rep or the platform, inject faults, and look
 * at what Fencun did.
 */
export class SimulatorAdmin extends WorldChanges {
  private offsetMs = 0;

  constructor(sim: SimContext, private readonly setOffset: (ms: number) => void) {
    super(sim);
  }

  // ---- inspection --------------------------------------------------------------------------

  summary(): Record<string, unknown> {
    return { corpId: this.sim.corpId, agentId: this.sim.agentId, now: new Date(this.sim.now()).toISOString(), ...this.sim.state.counts() };
  }

  customer(externalUserId: string): Record<string, unknown> | null {
    const c = this.sim.state.customers.get(externalUserId);
    if (!c) return null;
    return {
      customer: c,
      follows: [...(this.sim.state.follows.get(externalUserId)?.values() ?? [])],
      ended: this.sim.state.endedFollows.filter((f) => f.externalUserId === externalUserId),
      receivedThisMonth: receivedCount(this.sim.state, externalUserId, this.sim.now()),
    };
  }

  /** Members with at least one customer, busiest first (handy to pick a rep in tests). */
  reps(): { userId: string; name: string; customers: number; supervisors: string[] }[] {
    const supervisors = new Map<string, string[]>();
    for (const u of this.sim.state.users.keys()) for (const s of this.sim.state.supervisedBy(u)) (supervisors.get(s) ?? supervisors.set(s, []).get(s)!).push(u);
    return [...this.sim.state.followsByUser.entries()]
      .filter(([, m]) => m.size > 0)
      .map(([userId, m]) => ({ userId, name: this.sim.state.users.get(userId)?.name ?? '', customers: m.size, supervisors: supervisors.get(userId) ?? [] }))
      .sort((a, b) => b.customers - a.customers);
  }

  /** Which endpoints were called how often, and the most recent calls. */
  calls(): { counts: Record<string, number>; recent: SimContext['platform']['calls'] } {
    return { counts: this.sim.platform.callCountsByEndpoint(), recent: this.sim.platform.calls.slice(-200) };
  }

  callCount(endpoint: string): number {
    return this.sim.platform.callCountsByEndpoint()[endpoint] ?? 0;
  }

  resetCalls(): void {
    this.sim.platform.resetCalls();
  }

  msgTemplates(): Record<string, unknown>[] {
    return [...this.sim.state.msgTemplates.values()].map((m) => ({ ...m, tasks: Object.fromEntries(m.tasks) }));
  }

  appMessages(): Record<string, unknown>[] {
    return this.sim.state.appMessages.map(({ fingerprint: _f, ...m }) => m);
  }

  welcomeMessages() {
    return this.sim.state.welcomeMessages;
  }

  webhookMessages() {
    return this.sim.state.webhookMessages;
  }

  /** Every delivery WeCom carried out, in order; optionally of one kind, or from seq `after` on. */
  ledger(filter: { kind?: DeliveryKind; after?: number } = {}): LedgerEntry[] {
    settleConfirmations(this.sim);
    return this.sim.state.ledger.filter((d) => (!filter.kind || d.kind === filter.kind) && d.seq > (filter.after ?? 0));
  }

  /** Interactive cards as they stand (after updates), with their taps and updates. */
  /** A file uploaded through media/upload, or null (unknown or past its 3 days). */
  media(mediaId: string): UploadedMediaState | null {
    const m = this.sim.state.media.get(mediaId);
    return m && this.sim.now() < m.createdAt + MEDIA_TTL_MS ? m : null;
  }

  templateCards(): Record<string, unknown>[] {
    return [...this.sim.state.templateCards.values()].map(({ codes: _c, ...c }) => c);
  }

  exportSeed(): SeedData {
    return this.sim.state.toSeed();
  }

  // ---- acting as a rep or as the platform ----------------------------------------------------

  /** A code as WeCom's OAuth2 redirect would carry it: single use, valid 5 minutes. */
  issueOAuthCode(who: { userId: string } | { openId: string; externalUserId?: string }): string {
    const code = randomBytes(16).toString('hex');
    if ('userId' in who && !this.sim.state.users.has(who.userId)) throw new Error(`no member ${who.userId}`);
    this.sim.platform.oauthCodes.set(code, { issuedAt: this.sim.now(), used: false, ...who });
    return code;
  }

  /**
   * A member taps a button on an interactive card (template_card_event, API.md 4.14a): only a
   * recipient, only a button the card shows now (a greyed-out or replaced one cannot be tapped).
   * Each tap carries a fresh single-use ResponseCode.
   */
  tapCard(i: { userId: string; taskId: string; key: string } & ChangeOptions): ChangeResult & { responseCode: string } {
    const card = this.sim.state.templateCards.get(i.taskId);
    if (!card) throw new Error(`no template card with task_id ${i.taskId}`);
    if (!card.userIds.includes(i.userId)) throw new Error(`${i.userId} did not receive card ${i.taskId}`);
    const buttons = (card.card.button_list as { key?: string }[] | undefined) ?? [];
    if (!buttons.some((b) => b.key === i.key)) throw new Error(`card ${i.taskId} shows no button with key ${i.key} (buttons: ${buttons.map((b) => b.key).join(', ') || 'none'})`);
    const responseCode = randomBytes(16).toString('hex');
    card.codes.set(responseCode, { issuedAt: this.sim.now(), used: false, userId: i.userId });
    card.taps.push({ userId: i.userId, key: i.key, responseCode, at: this.sim.now() });
    const delivery = this.emit({ kind: 'template_card', userId: i.userId, eventKey: i.key, taskId: i.taskId, cardType: String(card.card.card_type), responseCode }, i);
    return { responseCode, delivery };
  }

  /** The rep (or every rep, without userId) confirms a mass-message task in the WeCom client. */
  confirmMsgTemplate(msgId: string, userId?: string) {
    return confirmTemplate(this.sim, msgId, userId);
  }

  /**
   * How a member answers mass tasks from now on: confirms each at once, after `delayMs` on the
   * simulator's clock, or never; null: waits for confirmMsgTemplate (the default).
   */
  setMassConfirmMode(userId: string, mode: { mode: 'immediately' } | { mode: 'after'; delayMs: number } | { mode: 'never' } | null): void {
    if (!this.sim.state.users.has(userId)) throw new Error(`no member ${userId}`);
    if (mode && !['immediately', 'after', 'never'].includes(mode.mode)) throw new Error('mode must be immediately, after or never');
    if (mode?.mode === 'after' && !(Number.isFinite(mode.delayMs) && mode.delayMs >= 0)) throw new Error('after needs delayMs, 0 or more');
    if (mode) this.sim.state.confirmModes.set(userId, mode);
    else this.sim.state.confirmModes.delete(userId);
  }

  /** The corp admin's choice in 群发助手 → 设置群发规则, as applied to customer groups. */
  setMassQuota(quota: 'days_in_month' | 'seven_per_week' | 'one_per_day'): void {
    if (!['days_in_month', 'seven_per_week', 'one_per_day'].includes(quota)) throw new Error('quota must be days_in_month, seven_per_week or one_per_day');
    this.sim.state.massQuota = quota;
  }

  /** The current JS-SDK ticket and whether a page's signature is right (API.md 4.16). */
  verifyJsapiSignature(i: { kind: TicketKind; url: string; nonceStr: string; timestamp: string | number; signature: string }): boolean {
    const ticket = this.sim.platform.currentTicket(i.kind);
    return ticket !== null && jsapiSignature(ticket, i.nonceStr, i.timestamp, i.url) === i.signature;
  }

  currentTicket(kind: TicketKind): string | null {
    return this.sim.platform.currentTicket(kind);
  }

  // ---- faults, limits, credentials, time -----------------------------------------------------

  injectFault(f: Fault): void {
    this.sim.platform.faults.push({ ...f });
  }

  clearFaults(): void {
    this.sim.platform.faults = [];
  }

  /** Faults still waiting for their calls, and how many answers latency faults hold right now. */
  faults(): { pending: Fault[]; held: number } {
    return { pending: this.sim.platform.faults.map((f) => ({ ...f })), held: this.sim.platform.heldCount() };
  }

  /** Lets every answer a latency fault holds go now. */
  releaseHeld(): number {
    return this.sim.platform.releaseHeld();
  }

  /** Resolves once `endpoint` has had `count` answers held (for afterAction faults: its work is done). */
  whenHeld(endpoint: string, count = 1): Promise<void> {
    return this.sim.platform.whenHeld(endpoint, count);
  }

  /** Overrides the frequency limit of an endpoint (or the per-recipient 'message/send:member' and per-robot 'webhook/send:robot'); null restores it. */
  setRateLimit(endpoint: string, rule: WindowRule | null): void {
    this.sim.platform.setLimit(endpoint, rule);
  }

  /** Every access token issued so far expires now (next use: 42001). */
  expireTokens(): number {
    return this.sim.platform.expireTokens();
  }

  /** Every access token becomes unknown, as when WeCom invalidates early (next use: 40014). */
  revokeTokens(): void {
    this.sim.platform.revokeTokens();
  }

  expireTickets(): void {
    this.sim.platform.expireTickets();
  }

  /** Moves the simulator's clock forward (welcome-code windows, OAuth code expiry, token expiry). */
  advanceTime(ms: number): void {
    this.offsetMs += ms;
    this.setOffset(this.offsetMs);
  }

  // ---- callbacks ------------------------------------------------------------------------------

  setCallbackUrl(url: string | null): void {
    this.sim.sender.settings.url = url;
  }

  configureCallbacks(s: Partial<Pick<CallbackSettings, 'timeoutMs' | 'maxRetries' | 'retryDelayMs' | 'url'>>): CallbackSettings {
    Object.assign(this.sim.sender.settings, s);
    const { aesKey: _k, token: _t, ...visible } = this.sim.sender.settings;
    return visible as CallbackSettings;
  }

  holdCallbacks(): void {
    this.sim.sender.hold();
  }

  releaseCallbacks(order: 'fifo' | 'reverse' | 'shuffle' = 'fifo'): number {
    return this.sim.sender.release(order);
  }

  /** Waits until every callback sent so far has been answered or given up on. */
  flushCallbacks(): Promise<void> {
    return this.sim.sender.flush();
  }

  deliveries(): Delivery[] {
    return this.sim.sender.deliveries;
  }

  verifyCallbackUrl() {
    return this.sim.sender.verifyUrl();
  }
}
