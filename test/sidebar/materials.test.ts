import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { MaterialLibrary } from '../../src/materials/service';
import { ensureSidebarBuilt, SIDEBAR_DIST } from '../../src/sidebar-api/build';
import type { ChatMaterialMessage, MaterialLibraryView, MaterialRecord } from '../../src/materials/types';
import { WecomApiError } from '../../src/wecom/client';
import { startSimulator, type RunningSimulator } from '../../src/wecom-simulator';
import { startTestApp, type TestApp } from '../helpers/app';
import { manualClock, type ManualClock } from '../helpers/clock';
import { TEST_WECOM } from '../helpers/wecom-callback';
import { makeClient, openTestDb, startTestSimulator, type OpenDb } from '../wecom/support';
import { CUSTOMERS, NOW, REPS, seedDatabase, simulatorSeed } from './fixture';
import { SidebarClient } from './http';
import { launchChromium, openPhone, screenshot } from './browser';
import { startSidebarWorld, type SidebarWorld } from './world';

jest.setTimeout(120_000);

/** A 1×1 PNG: the smallest image WeCom's media/upload accepts as an image. */
export const PNG_1PX = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

const UPLOADED_AT = Date.parse('2026-03-02T01:00:00Z');

describe('WeCom client: media/upload against the simulator', () => {
  let open: OpenDb;
  let sim: RunningSimulator;
  beforeAll(async () => {
    // The simulator's clock is fixed: the media's created_at is then known exactly, on any date.
    [open, sim] = await Promise.all([openTestDb(), startTestSimulator({ clock: () => new Date(UPLOADED_AT) })]);
  });
  afterAll(async () => {
    await sim?.stop();
    await open?.close();
  });

  it('should upload an image and a file as multipart and get media ids the simulator holds byte for byte', async () => {
    const { sut } = makeClient(open.db, sim);
    const img = await sut.uploadMedia({ type: 'image', filename: '新品海报.png', contentType: 'image/png', data: PNG_1PX });
    expect(img.mediaId).toMatch(/^3sim/);
    expect(img.type).toBe('image');
    expect(img.createdAt).toBe(UPLOADED_AT);
    const held = sim.admin.media(img.mediaId)!;
    expect(held).toMatchObject({ type: 'image', filename: '新品海报.png', contentType: 'image/png' });
    expect(held.data.equals(PNG_1PX)).toBe(true);

    const pdf = Buffer.from('%PDF-1.4 价目表\r\n--not-a-boundary\r\n', 'utf8');
    const file = await sut.uploadMedia({ type: 'file', filename: '价目表.pdf', contentType: 'application/pdf', data: pdf });
    expect(sim.admin.media(file.mediaId)!.data.equals(pdf)).toBe(true);
  });

  it('should surface WeCom refusing what is not an image as a typed errcode', async () => {
    const { sut } = makeClient(open.db, sim);
    await expect(sut.uploadMedia({ type: 'image', filename: 'a.png', contentType: 'image/png', data: Buffer.from('not an image at all') }))
      .rejects.toMatchObject({ errcode: 40005 });
    await expect(sut.uploadMedia({ type: 'image', filename: 'a.png', contentType: 'image/png', data: Buffer.from('x') })).rejects.toBeInstanceOf(WecomApiError);
  });
});

const TOKEN = 'materials-test-api-token-0123456789';
const b64 = (b: Buffer) => b.toString('base64');
const PDF = Buffer.from('%PDF-1.4\n价目表 2025 春季\n%%EOF\n', 'utf8');

describe('素材 library over HTTP (production wiring, the WeCom simulator behind it)', () => {
  let app: TestApp;
  let sim: RunningSimulator;
  let clock: ManualClock;
  const ids: Record<string, number> = {};
  const api = (path: string, init: { method?: string; body?: unknown; token?: string | null } = {}) =>
    fetch(`${app.url}/api/materials${path}`, {
      method: init.method ?? 'GET',
      headers: {
        ...(init.token === null ? {} : { Authorization: `Bearer ${init.token ?? TOKEN}` }),
        ...(init.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    }).then(async (r) => ({ status: r.status, body: (r.status === 204 ? null : await r.json()) as Record<string, unknown> & { message?: string } }));
  const rep = async () => {
    const c = new SidebarClient({ url: app.url } as SidebarWorld);
    expect((await c.json('POST', '/sidebar/api/demo/login', { userId: REPS.lina })).status).toBe(200);
    return c;
  };
  const stored = async () => ((await api('')).body.materials as MaterialRecord[]).length;

  beforeAll(async () => {
    sim = await startSimulator({
      port: 0, corpId: TEST_WECOM.corpId, agentId: TEST_WECOM.agentId, secret: TEST_WECOM.secret,
      callbackToken: TEST_WECOM.token, callbackAesKey: TEST_WECOM.aesKey, seed: simulatorSeed(), callbackUrl: null,
    });
    clock = manualClock(NOW);
    app = await startTestApp({ clock, env: { FENCUN_DEMO: '1', FENCUN_API_TOKEN: TOKEN, WECOM_API_BASE: sim.url } });
    await seedDatabase(app.services);
  });
  afterAll(async () => {
    await app?.stop();
    await sim?.stop();
  });

  it('should refuse the machine API without the bearer token', async () => {
    expect((await api('', { token: null })).status).toBe(401);
  });

  it.each([
    ['an unknown kind', { kind: 'video', category: '海报', title: '视频' }, /kind must be one of image, link, file, miniprogram/],
    ['an image that is not JPG or PNG', { kind: 'image', category: '海报', title: '海报', file: { name: 'a.gif', contentType: 'image/gif', base64: b64(Buffer.from('GIF89a......')) } },
      /an image must be a JPG or PNG file/],
    ['a file of 3 bytes', { kind: 'file', category: '资料', title: '空', file: { name: 'a.txt', contentType: 'text/plain', base64: b64(Buffer.from('abc')) } }, /less than 5 bytes/],
    ['a file name with a folder', { kind: 'file', category: '资料', title: '价目表', file: { name: '../etc/passwd', contentType: 'text/plain', base64: b64(PDF) } }, /file.name must be a plain file name/],
    ['an http link', { kind: 'link', category: '文章', title: '保养指南', url: 'http://example.com/a' }, /url must be an https:\/\/ address/],
    ['a link to a script', { kind: 'link', category: '文章', title: '保养指南', url: 'javascript:alert(1)' }, /url must be an https:\/\/ address/],
    ['a mini-program without an AppID', { kind: 'miniprogram', category: '商城', title: '小程序', appid: 'shop', page: '/pages/index', picUrl: 'https://cdn.example.com/a.png' }, /appid must be the mini-program's AppID/],
    ['an unknown field', { kind: 'link', category: '文章', title: '保养指南', url: 'https://example.com/a', owner: 'lina' }, /unknown field "owner"/],
    ['an empty title', { kind: 'link', category: '文章', title: ' ', url: 'https://example.com/a' }, /title: title is empty/],
  ])('should refuse %s with a 400 that says why, storing nothing', async (_label, body, message) => {
    const before = await stored();
    const r = await api('', { method: 'POST', body });
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(message);
    expect(await stored()).toBe(before);
  });

  it('should store images, links, files and mini-programs, and list them for reps without their bytes', async () => {
    const created = await Promise.all([
      api('', { method: 'POST', body: { kind: 'image', category: '海报', title: '春季新品海报', file: { name: '春季海报.png', contentType: 'image/png', base64: b64(PNG_1PX) } } }),
      api('', { method: 'POST', body: { kind: 'link', category: '文章', title: '换季护肤指南', description: '三步搞定换季敏感', url: 'https://mp.weixin.qq.com/s/abc', picUrl: 'https://cdn.example.com/cover.png' } }),
      api('', { method: 'POST', body: { kind: 'file', category: '资料', title: '2025 春季价目表', file: { name: '价目表.pdf', contentType: 'application/pdf', base64: b64(PDF) } } }),
      api('', { method: 'POST', body: { kind: 'miniprogram', category: '商城', title: '山茶花旗舰店', appid: 'wx0123456789abcdef', page: '/pages/shop/index', picUrl: 'https://cdn.example.com/shop.png' } }),
    ]);
    expect(created.map((c) => c.status)).toEqual([201, 201, 201, 201]);
    for (const c of created) ids[c.body.kind as string] = c.body.id as number;
    expect(created[2].body).toMatchObject({ fileName: '价目表.pdf', size: PDF.length, contentType: 'application/pdf' });
    expect(created[2].body).not.toHaveProperty('content');
    expect((await api(`/${ids.link}`, { method: 'PATCH', body: { title: '换季护肤小指南' } })).body).toMatchObject({ title: '换季护肤小指南', url: 'https://mp.weixin.qq.com/s/abc' });
    expect((await api(`/${ids.link}`, { method: 'PATCH', body: { url: 'https://x.example.com' } })).status).toBe(400);

    const lina = await rep();
    const lib = await lina.json<MaterialLibraryView>('GET', '/sidebar/api/materials');
    expect(lib.status).toBe(200);
    expect(lib.body.categories.sort()).toEqual(['商城', '文章', '海报', '资料'].sort());
    const byKind = Object.fromEntries(lib.body.materials.map((m) => [m.kind, m]));
    expect(byKind.image).toMatchObject({ title: '春季新品海报', thumbUrl: `/sidebar/api/materials/${ids.image}/image`, fileLabel: null });
    expect(byKind.file).toMatchObject({ thumbUrl: null, fileLabel: `价目表.pdf · ${PDF.length} B` });
    expect(byKind.link).toMatchObject({ thumbUrl: 'https://cdn.example.com/cover.png', description: '三步搞定换季敏感' });
    const search = await lina.json<MaterialLibraryView>('GET', `/sidebar/api/materials?q=${encodeURIComponent('价目表')}`);
    expect(search.body.materials.map((m) => m.id)).toEqual([ids.file]);

    const img = await lina.request('GET', `/sidebar/api/materials/${ids.image}/image`);
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await img.arrayBuffer()).equals(PNG_1PX)).toBe(true);
    expect((await lina.request('GET', `/sidebar/api/materials/${ids.file}/image`)).status).toBe(404);
    expect((await fetch(`${app.url}/sidebar/api/materials/${ids.image}/image`)).status).toBe(401);
  });

  it('should upload an image to WeCom when first sent and reuse its media_id until it is near its 3 days', async () => {
    const lina = await rep();
    const uploads = () => sim.admin.callCount('media/upload');
    const before = uploads();
    const first = await lina.json<ChatMaterialMessage>('POST', `/sidebar/api/materials/${ids.image}/message`);
    expect(first.status).toBe(200);
    const sent = first.body as Extract<ChatMaterialMessage, { msgtype: 'image' }>;
    expect(sent.msgtype).toBe('image');
    expect(sim.admin.media(sent.image.mediaid)!.data.equals(PNG_1PX)).toBe(true);
    expect(uploads()).toBe(before + 1);

    // Sessions last hours: each later send is a rep who opened the sidebar again.
    clock.advance(2 * 86_400_000);
    expect((await (await rep()).json('POST', `/sidebar/api/materials/${ids.image}/message`)).body).toEqual(sent);
    expect(uploads()).toBe(before + 1);
    clock.advance(12 * 3_600_000);
    const later = await (await rep()).json<Extract<ChatMaterialMessage, { msgtype: 'image' }>>('POST', `/sidebar/api/materials/${ids.image}/message`);
    expect(later.body.image.mediaid).not.toBe(sent.image.mediaid);
    expect(uploads()).toBe(before + 2);
  });

  it('should upload a file once when several reps send it at the same moment', async () => {
    const lina = await rep();
    const before = sim.admin.callCount('media/upload');
    const all = await Promise.all(Array.from({ length: 5 }, () => lina.json<Extract<ChatMaterialMessage, { msgtype: 'file' }>>('POST', `/sidebar/api/materials/${ids.file}/message`)));
    expect(new Set(all.map((r) => r.body.file.mediaid)).size).toBe(1);
    expect(sim.admin.callCount('media/upload')).toBe(before + 1);
    expect(sim.admin.media(all[0].body.file.mediaid)).toMatchObject({ type: 'file', filename: '价目表.pdf' });
  });

  it('should hand links and mini-programs to the JS-SDK as news and miniprogram cards', async () => {
    const lina = await rep();
    expect((await lina.json('POST', `/sidebar/api/materials/${ids.link}/message`)).body).toEqual({
      msgtype: 'news', news: { link: 'https://mp.weixin.qq.com/s/abc', title: '换季护肤小指南', desc: '三步搞定换季敏感', imgUrl: 'https://cdn.example.com/cover.png' },
    });
    expect((await lina.json('POST', `/sidebar/api/materials/${ids.miniprogram}/message`)).body).toEqual({
      msgtype: 'miniprogram', miniprogram: { appid: 'wx0123456789abcdef', title: '山茶花旗舰店', imgUrl: 'https://cdn.example.com/shop.png', page: '/pages/shop/index' },
    });
  });

  it('should say so in a sentence when WeCom refuses the upload, and keep no media_id', async () => {
    const created = await api('', { method: 'POST', body: { kind: 'image', category: '海报', title: '门店地图', file: { name: 'map.png', contentType: 'image/png', base64: b64(PNG_1PX) } } });
    const id = created.body.id as number;
    sim.admin.injectFault({ endpoint: 'media/upload', kind: 'errcode', errcode: 40005, count: 1 });
    const lina = await rep();
    const r = await lina.json<{ code: string; message: string }>('POST', `/sidebar/api/materials/${id}/message`);
    expect(r).toMatchObject({ status: 502, body: { code: 'MEDIA_UPLOAD_FAILED', message: '没能把素材上传到企业微信，请稍后再试' } });
    const [row] = await app.services.db.query<{ media_id: string | null }>('SELECT media_id FROM materials WHERE id = ?', [id]);
    expect(row.media_id).toBeNull();
    // The next try works.
    expect((await lina.json('POST', `/sidebar/api/materials/${id}/message`)).status).toBe(200);
  });

  it('should count sends, and forget a deleted material with its bytes', async () => {
    const lina = await rep();
    await Promise.all(Array.from({ length: 10 }, () => lina.json('POST', `/sidebar/api/materials/${ids.link}/uses`)));
    expect(((await api(`/${ids.link}`)).body as unknown as MaterialRecord).uses).toBe(10);
    const lib = await lina.json<MaterialLibraryView>('GET', '/sidebar/api/materials');
    expect(lib.body.materials[0].id).toBe(ids.link);

    expect((await api(`/${ids.image}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(`/${ids.image}`, { method: 'DELETE' })).status).toBe(404);
    expect((await lina.json('POST', `/sidebar/api/materials/${ids.image}/message`)).status).toBe(404);
    expect((await lina.request('GET', `/sidebar/api/materials/${ids.image}/image`)).status).toBe(404);
    const [row] = await app.services.db.query<{ content: unknown }>('SELECT content FROM materials WHERE id = ?', [ids.image]);
    expect(row.content).toBeNull();
    expect((await lina.json('POST', '/sidebar/api/materials/abc/uses')).status).toBe(404);
    expect((await api('/abc')).status).toBe(400);
  });
});

describe('素材 sheet on a phone in WeCom', () => {
  let world: SidebarWorld;
  let browser: Browser;
  const ids: Record<string, number> = {};
  beforeAll(async () => {
    [world, browser] = await Promise.all([startSidebarWorld(), launchChromium()]);
    const s = world.app.services;
    const library = new MaterialLibrary({ db: s.db, clock: s.clock, log: s.log, wecom: s.wecom });
    ids.image = (await library.create({ kind: 'image', category: '海报', title: '春季新品海报', description: '', file: { name: '春季海报.png', contentType: 'image/png', base64: b64(PNG_1PX) } }, 'test')).id;
    ids.link = (await library.create({ kind: 'link', category: '文章', title: '换季护肤指南', description: '三步搞定换季敏感', url: 'https://mp.weixin.qq.com/s/abc', picUrl: 'https://cdn.example.com/cover.png' }, 'test')).id;
    ids.file = (await library.create({ kind: 'file', category: '资料', title: '2025 春季价目表', description: '', file: { name: '价目表.pdf', contentType: 'application/pdf', base64: b64(PDF) } }, 'test')).id;
    ids.mini = (await library.create({ kind: 'miniprogram', category: '商城', title: '山茶花旗舰店', description: '', appid: 'wx0123456789abcdef', page: '/pages/shop/index', picUrl: 'https://cdn.example.com/shop.png' }, 'test')).id;
  });
  afterAll(async () => {
    await browser?.close();
    await world?.stop();
  });

  it('should list the materials and send an image and a link into the chat with the right msgtype', async () => {
    const { page, context, bridgeCalls } = await openPhone(browser, world, { entry: 'single_chat_tools', userId: CUSTOMERS.chen });
    // The pictures of links live on other sites; the phone shows a grey box when they do not load.
    await page.route('https://cdn.example.com/**', (r) => r.fulfill({ status: 200, contentType: 'image/png', body: PNG_1PX }));
    await page.goto(`${world.url}/sidebar/`);
    await page.click('[data-test=open-materials]');
    await page.waitForSelector('[data-test=material-item]');
    expect(await page.locator('[data-test=material-item]').count()).toBe(4);
    expect(await page.locator('[data-test=material-item]', { hasText: '价目表' }).innerText()).toContain(`文件 · 价目表.pdf · ${PDF.length} B`);
    await page.waitForFunction(() => [...document.querySelectorAll('img.thumb')].every((i) => (i as HTMLImageElement).complete));
    await screenshot(page, 'materials-sheet');

    await page.click(`[data-test=material-send-${ids.image}]`);
    await page.waitForSelector('.toast:has-text("已放入聊天，确认后发送")');
    const image = (await bridgeCalls()).filter((c) => c.name === 'sendChatMessage').at(-1)!;
    expect(image.params).toMatchObject({ msgtype: 'image', enterChat: false });
    const mediaid = (image.params.image as { mediaid: string }).mediaid;
    expect(world.sim.admin.media(mediaid)!.data.equals(PNG_1PX)).toBe(true);

    await page.click(`[data-test=material-send-${ids.link}]`);
    await page.waitForFunction(() => (window as unknown as { __bridgeCalls: { name: string }[] }).__bridgeCalls.filter((c) => c.name === 'sendChatMessage').length === 2);
    const link = (await bridgeCalls()).filter((c) => c.name === 'sendChatMessage').at(-1)!;
    // The SDK adds its verify* fields; the content is exactly the link card.
    expect(link.params).toMatchObject({
      msgtype: 'news', enterChat: false,
      news: { link: 'https://mp.weixin.qq.com/s/abc', title: '换季护肤指南', desc: '三步搞定换季敏感', imgUrl: 'https://cdn.example.com/cover.png' },
    });
    expect(Object.keys(link.params.news as object).sort()).toEqual(['desc', 'imgUrl', 'link', 'title']);
    const uses = async () => (await world.app.services.db.query<{ id: unknown; uses: unknown }>('SELECT id, uses FROM materials ORDER BY id')).map((r) => Number(r.uses));
    for (let i = 0; i < 50 && (await uses())[1] < 1; i++) await page.waitForTimeout(20);
    expect(await uses()).toEqual([1, 1, 0, 0]);

    await page.fill('[data-test=material-search]', '价目表');
    await page.waitForFunction(() => document.querySelectorAll('[data-test=material-item]').length === 1);
    await context.close();
  });

  it('should tell the rep why a send failed, and not count it', async () => {
    const { page, context } = await openPhone(browser, world, { entry: 'single_chat_tools', userId: CUSTOMERS.chen, fail: { sendChatMessage: 'no permission' } });
    await page.goto(`${world.url}/sidebar/`);
    await page.click('[data-test=open-materials]');
    await page.click(`[data-test=material-send-${ids.mini}]`);
    await page.waitForSelector('.toast');
    expect(await page.textContent('.toast')).toBe('应用没有「插入聊天」的权限，请管理员在应用的 JS-SDK 权限中开启 sendChatMessage');
    await screenshot(page, 'materials-send-refused');
    const [row] = await world.app.services.db.query<{ uses: unknown }>('SELECT uses FROM materials WHERE id = ?', [ids.mini]);
    expect(Number(row.uses)).toBe(0);
    await context.close();
  });

  it('should keep the sidebar within its budget: JS and CSS at most 80 KB gzipped', async () => {
    await ensureSidebarBuilt(world.app.services.log);
    const assets = path.join(SIDEBAR_DIST, 'assets');
    const index = fs.readFileSync(path.join(SIDEBAR_DIST, 'index.html'), 'utf8');
    // What the page loads: the files index.html names (the console's own bundle is not the sidebar's).
    const loaded = fs.readdirSync(assets).filter((f) => index.includes(`assets/${f}`) && /\.(js|css)$/.test(f));
    expect(loaded.some((f) => f.endsWith('.js'))).toBe(true);
    const gz = loaded.reduce((n, f) => n + gzipSync(fs.readFileSync(path.join(assets, f)), { level: 9 }).length, 0);
    process.stdout.write(`sidebar JS+CSS gzipped: ${(gz / 1024).toFixed(1)} KB (${loaded.join(', ')})\n`);
    expect(gz).toBeLessThanOrEqual(80 * 1024);
  });
});
