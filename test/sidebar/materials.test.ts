import { WecomApiError } from '../../src/wecom/client';
import type { RunningSimulator } from '../../src/wecom-simulator';
import { makeClient, openTestDb, startTestSimulator, type OpenDb } from '../wecom/support';

jest.setTimeout(120_000);

/** A 1×1 PNG: the smallest image WeCom's media/upload accepts as an image. */
export const PNG_1PX = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

describe('WeCom client: media/upload against the simulator', () => {
  let open: OpenDb;
  let sim: RunningSimulator;
  beforeAll(async () => {
    [open, sim] = await Promise.all([openTestDb(), startTestSimulator()]);
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
    expect(Math.abs(img.createdAt - Date.now())).toBeLessThan(60_000);
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
