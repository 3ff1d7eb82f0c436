import { DataWorld, startDataWorld } from '../data/world';

describe('judgement on WeCom events (simulator → ingress → handlers)', () => {
  let w: DataWorld;
  beforeAll(async () => {
    w = await startDataWorld();
  });
  afterAll(async () => {
    await w?.stop();
  });

  async function tierRow(id: string) {
    const rows = await w.app.services.db.query<{ tier: string; stage: string }>(
      'SELECT tier, stage FROM customer_tiers WHERE external_user_id = ?', [id]);
    return rows[0] ?? null;
  }

  it('should tier a newly added customer as soon as the event is processed', async () => {
    const rep = w.sim.admin.reps()[0].userId;
    const { externalUserId } = w.sim.admin.addContact({ userId: rep, welcome: false });
    await w.deliver();
    expect(await tierRow(externalUserId)).toEqual({ tier: 'potential', stage: 'new' });
  });

  it('should mark the customer lost the moment they delete their rep', async () => {
    const rep = w.sim.admin.reps()[1].userId;
    const { externalUserId } = w.sim.admin.addContact({ userId: rep, welcome: false });
    await w.deliver();
    w.sim.admin.customerDeletesRep({ userId: rep, externalUserId });
    await w.deliver();
    expect((await tierRow(externalUserId))?.stage).toBe('lost');
    const history = await w.app.services.db.query<{ cause: string }>('SELECT cause FROM tier_history WHERE external_user_id = ?', [externalUserId]);
    expect(history.map((h) => h.cause)).toEqual(['event']);
  });
});
