import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadWelcomeTemplates, NO_WELCOME, pickWelcome, renderWelcome } from '../../src/contacts/welcome';

describe('welcome templates', () => {
  const templates = { default: { text: '您好，我是{rep_name}' }, byState: { 'store-qr': { text: '欢迎光临，我是{rep_name}' } } };

  it.each([
    ['store-qr', { key: 'store-qr', text: '欢迎光临，我是{rep_name}' }],
    ['unknown-channel', { key: 'default', text: '您好，我是{rep_name}' }],
    [undefined, { key: 'default', text: '您好，我是{rep_name}' }],
  ])('should pick the template for state %p', (state, expected) => {
    expect(pickWelcome(templates, state)).toEqual(expected);
  });

  it('should send nothing when there is no default and the channel has no template', () => {
    expect(pickWelcome({ default: null, byState: {} }, 'x')).toBeNull();
  });

  it('should fill in the rep name, or a neutral title while it is unknown', () => {
    expect(renderWelcome('我是{rep_name}，{rep_name}为您服务', { repName: '李娜' })).toBe('我是李娜，李娜为您服务');
    expect(renderWelcome('我是{rep_name}', { repName: '' })).toBe('我是您的专属顾问');
  });

  it('should load the shipped config/welcome.json', () => {
    const t = loadWelcomeTemplates(path.join(__dirname, '../../config/welcome.json'));
    expect(t.default?.text).toContain('{rep_name}');
    expect(Object.keys(t.byState)).toContain('store-qr');
  });

  it('should treat a missing file as "no welcome" and name the problem in a bad one', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fencun-welcome-'));
    try {
      expect(loadWelcomeTemplates(path.join(dir, 'none.json'))).toEqual(NO_WELCOME);
      const bad = path.join(dir, 'bad.json');
      fs.writeFileSync(bad, JSON.stringify({ default: { text: '' }, byState: { a: { txt: 'x' } } }));
      expect(() => loadWelcomeTemplates(bad)).toThrow(/default\.text must not be empty.*byState\.a/);
      fs.writeFileSync(bad, '{ nope');
      expect(() => loadWelcomeTemplates(bad)).toThrow(/is not valid JSON/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
