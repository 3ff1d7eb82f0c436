import { sendWelcome, WelcomeTemplates } from '../../src/contacts/welcome';
import type { CustomerDataWecom } from '../../src/contacts/wecom-port';
import { captureLog } from '../helpers/logs';
import { busiestRep, makeClient, simulatorSuite, welcomeRow } from '../wecom/support';

/**
 * Found by the chaos harness (an instance killed with SIGKILL while its add handler was sending
 * the welcome): the row stayed "sending" forever — the event's takeover saw the row and called it
 * a duplicate, or, past the 20 s window, recorded nothing.
 * Invariant: a welcome ends sent (delivered once) or with a status that says why not; "sending"
 * left by a dead attempt is treated like "unknown" (it may have reached WeCom): asked again with
 * the same code while the window is open (WeCom accepts a code once, so no second delivery;
 * 41051 confirms the dead attempt), and marked unknown with the reason once the window has passed.
 */
describe('a welcome whose instance died mid-send', () => {
  const suite = simulatorSuite({ clockAt: '2026-03-02T02:00:00Z' });
  const templates: WelcomeTemplates = { default: { text: '您好，我是{rep_name}' }, byState: {} };

  /** The first attempt "dies": the request reached WeCom (or never left), and the caller never hears back. */
  async function dieMidSend(requestLeft: boolean) {
    const rep = busiestRep(suite.sim);
    const { externalUserId, welcomeCode } = suite.sim.admin.addContact({ userId: rep });
    const { sut } = makeClient(suite.store.db, suite.sim, { clock: suite.clock });
    const event = { type: 'add_external_contact' as const, at: suite.clock().getTime(), userId: rep, externalUserId, welcomeCode: welcomeCode! };
    let delivered!: () => void;
    const reached = new Promise<void>((r) => (delivered = r));
    const dying = {
      sendWelcomeMsg: (req: Parameters<CustomerDataWecom['sendWelcomeMsg']>[0]) => {
        if (requestLeft) void sut.sendWelcomeMsg(req).then(() => delivered(), () => delivered());
        else delivered();
        return new Promise<never>(() => undefined);
      },
    } as unknown as CustomerDataWecom;
    void sendWelcome({ db: suite.store.db, wecom: dying, templates, event, now: new Date(event.at), log: captureLog('silent').log });
    await reached;
    const again = (nowMs: number) => sendWelcome({ db: suite.store.db, wecom: sut, templates, event, now: new Date(nowMs), log: captureLog('silent').log });
    return { welcomeCode: welcomeCode!, event, again };
  }

  const row = (code: string) => welcomeRow(suite.store.db, code);

  it('should confirm a welcome the dead attempt delivered, without a second delivery', async () => {
    const { welcomeCode, event, again } = await dieMidSend(true);
    expect(await row(welcomeCode)).toMatchObject({ status: 'sending' });

    expect(await again(event.at + 5_000)).toBe('sent');
    expect(await row(welcomeCode)).toMatchObject({ status: 'sent', error: expect.stringContaining('41051') });
    expect(suite.sim.admin.ledger({ kind: 'welcome' }).filter((d) => d.ref === welcomeCode)).toHaveLength(1);
  });

  it('should send a welcome whose dead attempt never left, once', async () => {
    const { welcomeCode, event, again } = await dieMidSend(false);

    expect(await again(event.at + 5_000)).toBe('sent');
    expect(await row(welcomeCode)).toMatchObject({ status: 'sent', error: null });
    expect(suite.sim.admin.ledger({ kind: 'welcome' }).filter((d) => d.ref === welcomeCode)).toHaveLength(1);
  });

  it('should say "unknown" with the reason when the event is taken over past the 20 s window', async () => {
    const { welcomeCode, event, again } = await dieMidSend(false);

    expect(await again(event.at + 72_000)).toBe('late');
    expect(await row(welcomeCode)).toMatchObject({ status: 'unknown', error: expect.stringContaining('interrupted before its outcome was recorded') });
    expect(suite.sim.admin.ledger({ kind: 'welcome' })).toHaveLength(0);
  });
});
