import { sendWelcome, WelcomeTemplates } from '../../src/contacts/welcome';
import { findTouchesOfCustomer } from '../../src/touches/repository';
import { captureLog } from '../helpers/logs';
import { busiestRep, makeClient, simulatorSuite, welcomeRow } from './support';

/**
 * Invariant: a welcome WeCom delivered is recorded as sent and counted as a touch, even when
 * WeCom's answer came after the client's timeout. The repeat with the same code cannot deliver
 * twice (WeCom accepts a code once), and its 41051 confirms the unanswered attempt.
 */
describe('a welcome whose answer came after the timeout', () => {
  const suite = simulatorSuite({ clockAt: '2026-03-02T02:00:00Z' });
  const templates: WelcomeTemplates = { default: { text: '您好，我是{rep_name}' }, byState: {} };

  async function addAndSend(slowAnswers: number) {
    const rep = busiestRep(suite.sim);
    const { externalUserId, welcomeCode } = suite.sim.admin.addContact({ userId: rep });
    const { sut } = makeClient(suite.store.db, suite.sim, { timeoutMs: 400, clock: suite.clock });
    await sut.getAccessToken();
    if (slowAnswers) suite.sim.admin.injectFault({ endpoint: 'externalcontact/send_welcome_msg', kind: 'latency', afterAction: true, latencyMs: 60_000, count: slowAnswers });
    const logs = captureLog();
    const now = suite.clock();
    const event = { type: 'add_external_contact' as const, at: now.getTime(), userId: rep, externalUserId, welcomeCode: welcomeCode! };
    const send = () => sendWelcome({ db: suite.store.db, wecom: sut, templates, event, now, log: logs.log });
    return { rep, externalUserId, welcomeCode: welcomeCode!, send, logs };
  }

  const row = (code: string) => welcomeRow(suite.store.db, code);

  it('should record the welcome as sent when the repeat is answered 41051', async () => {
    const { externalUserId, welcomeCode, send, logs } = await addAndSend(1);

    expect(await send()).toBe('sent');

    expect(suite.sim.admin.ledger({ kind: 'welcome' }).filter((d) => d.ref === welcomeCode)).toHaveLength(1);
    expect(suite.sim.admin.calls().recent.filter((c) => c.endpoint === 'externalcontact/send_welcome_msg').map((c) => c.errcode)).toEqual([0, 41051]);
    expect(await row(welcomeCode)).toMatchObject({ status: 'sent', error: expect.stringContaining('41051') });
    expect(await findTouchesOfCustomer(suite.store.db, externalUserId)).toEqual([expect.objectContaining({ category: 'welcome', ref: welcomeCode })]);
    expect(logs.find('asking again with the same code')).toHaveLength(1);
  });

  it('should keep an unanswered welcome "unknown" and confirm it when the event is handled again', async () => {
    const { externalUserId, welcomeCode, send } = await addAndSend(2);

    // Neither attempt is answered in time: whether it arrived is not known yet.
    expect(await send()).toBe('unknown');
    expect(await row(welcomeCode)).toMatchObject({ status: 'unknown' });
    expect(await findTouchesOfCustomer(suite.store.db, externalUserId)).toEqual([]);

    // The inbox runs the event again: 41051 now confirms the first attempt.
    expect(await send()).toBe('sent');
    expect(await row(welcomeCode)).toMatchObject({ status: 'sent' });
    expect(await findTouchesOfCustomer(suite.store.db, externalUserId)).toHaveLength(1);
    expect(suite.sim.admin.ledger({ kind: 'welcome' }).filter((d) => d.ref === welcomeCode)).toHaveLength(1);
  });

  it('should still treat 41051 without an unanswered attempt as refused, with no touch', async () => {
    const { externalUserId, welcomeCode, send } = await addAndSend(0);
    // WeCom's clock is past the code's 20 s window (Fencun's is not): WeCom answers 41051.
    suite.sim.admin.advanceTime(21_000);

    expect(await send()).toBe('refused');
    expect(await row(welcomeCode)).toMatchObject({ status: 'refused' });
    expect(await findTouchesOfCustomer(suite.store.db, externalUserId)).toEqual([]);
    expect(suite.sim.admin.ledger({ kind: 'welcome' })).toHaveLength(0);
  });
});
