import { campaignService } from '../../src/campaigns/service';
import { MaterialLibrary } from '../../src/materials/service';
import { DEFAULT_OUTBOX_CONFIG } from '../../src/outbox/policy';
import { createOutbox } from '../../src/outbox/service';
import type { RunningSimulator } from '../../src/wecom-simulator';
import { startTestApp, TestApp } from '../helpers/app';
import { manualClock } from '../helpers/clock';
import { DAY, seedCustomers } from '../helpers/seed';
import { startTestSimulator } from '../wecom/support';

/**
 * Campaign attachments from the 素材 library: an image given as material_id is uploaded through
 * the WeCom client (media/upload on the simulator, over HTTP) before add_msg_template, and its
 * media_id is reused while WeCom keeps it (3 days, less a margin), then uploaded again.
 */
const TOKEN = 'campaign-media-token-0123456789';
const T0 = '2026-03-02T02:00:00Z'; // Monday 10:00 Beijing
// The smallest PNG WeCom-like checks accept: the signature and a few bytes.
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 7)]);

describe('campaign media', () => {
  const clock = manualClock(T0);
  let sim: RunningSimulator;
  let app: TestApp;
  let customers: string[];
  let rep: string;

  beforeAll(async () => {
    sim = await startTestSimulator({ clock });
    app = await startTestApp({ clock, env: { WECOM_API_BASE: sim.url, FENCUN_API_TOKEN: TOKEN } });
    rep = sim.admin.reps()[0].userId;
    customers = [...sim.state.followsByUser.get(rep)!.keys()].slice(0, 3);
    await seedCustomers(app.services.db, customers.map((id) => ({ id, rep, addedAt: clock().getTime() - 90 * DAY })), clock().getTime());
  });
  afterAll(async () => {
    await app.stop();
    await sim.stop();
  });

  const api = (path: string, body: unknown) => fetch(`${app.url}/api/campaigns${path}`, {
    method: 'POST', body: JSON.stringify(body), headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
  });
  const definition = (attachments: unknown[], who: string[]) => ({
    name: '新品海报', category: 'care', creator: 'ops', audience: { externalUserIds: who },
    content: { text: '新品到了，给您看看海报', attachments },
    schedule: { start: clock().toISOString(), end: new Date(clock().getTime() + 2 * DAY).toISOString(), perSenderDailyRate: 100 },
  });
  const outbox = () => createOutbox({
    db: app.services.db, wecom: app.services.wecom, clock, log: app.logs.log, metrics: app.services.metrics, timeZone: 'Asia/Shanghai',
    instanceId: 'media-test', config: DEFAULT_OUTBOX_CONFIG, worker: { heartbeatMs: 0, idlePollMs: 20 },
  });
  /** Creates, approves and sends a campaign to one customer; the media_id WeCom's task carries. */
  const send = async (materialId: number, customer: string): Promise<string> => {
    const res = await api('', definition([{ msgtype: 'image', image: { material_id: materialId } }, { msgtype: 'link', link: { title: '详情', url: 'https://example.com/new' } }], [customer]));
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: number };
    await campaignService(app.services).approve(id, clock());
    await outbox().worker.drain();
    const [intent] = await app.services.db.query<{ wecom_msgid: string }>('SELECT wecom_msgid FROM outbox_intents WHERE idem_key = ?', [`campaign:${id}:batch:1`]);
    const task = sim.admin.msgTemplates().find((m) => m.msgId === intent.wecom_msgid) as { attachments: { msgtype: string; image?: { media_id?: string } }[] };
    expect(task.attachments.map((a) => a.msgtype)).toEqual(['image', 'link']);
    return task.attachments[0].image!.media_id!;
  };

  it('should refuse a material that does not exist or is of another kind, with the attachment\'s number', async () => {
    const library = new MaterialLibrary({ db: app.services.db, clock, log: app.logs.log, wecom: app.services.wecom });
    const link = await library.create({ kind: 'link', category: '活动', title: '活动页', description: '', url: 'https://example.com/a' } as never, 'ops');
    const missing = await api('', definition([{ msgtype: 'image', image: { material_id: 987654 } }], customers));
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { message: string }).message).toContain('第 1 个附件：素材库里没有编号为 987654 的素材');
    const wrong = await api('', definition([{ msgtype: 'file', file: { material_id: link.id } }], customers));
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { message: string }).message).toContain(`素材 ${link.id} 是链接，不是文件`);
  });

  it('should upload a library image before add_msg_template and reuse its media_id until WeCom would drop it', async () => {
    const library = new MaterialLibrary({ db: app.services.db, clock, log: app.logs.log, wecom: app.services.wecom });
    const poster = await library.create({ kind: 'image', category: '海报', title: '春季新品', description: '', file: { name: 'spring.png', contentType: 'image/png', base64: PNG.toString('base64') } } as never, 'ops');
    sim.admin.resetCalls();
    const first = await send(poster.id, customers[0]);
    expect(sim.admin.callCount('media/upload')).toBe(1);
    // WeCom holds the uploaded bytes under that media_id.
    expect(sim.admin.media(first)).not.toBeNull();
    // A day later: the same media_id, no second upload.
    clock.advance(DAY);
    expect(await send(poster.id, customers[1])).toBe(first);
    expect(sim.admin.callCount('media/upload')).toBe(1);
    // Past WeCom's 3 days (less the margin): uploaded again, a new media_id WeCom knows.
    clock.advance(2 * DAY);
    const third = await send(poster.id, customers[2]);
    expect(third).not.toBe(first);
    expect(sim.admin.callCount('media/upload')).toBe(2);
    expect(sim.admin.media(third)).not.toBeNull();
  });
});
