import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_CONFIG_DIR, loadPolicyConfig, PolicyConfigError } from '../../src/policy/config';

describe('loadPolicyConfig', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fencun-policy-'));
    cpSync(DEFAULT_CONFIG_DIR, dir, { recursive: true });
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function edit(file: string, change: (json: any) => void): void {
    const p = path.join(dir, file);
    const json = JSON.parse(readFileSync(p, 'utf8'));
    change(json);
    writeFileSync(p, JSON.stringify(json));
  }

  function failure(): PolicyConfigError {
    try {
      loadPolicyConfig(dir);
    } catch (err) {
      return err as PolicyConfigError;
    }
    throw new Error('expected loadPolicyConfig to fail');
  }

  it('should load the shipped defaults with the four Chinese tiers', () => {
    const sut = loadPolicyConfig();
    expect(sut.tiers.tiers.map((t) => [t.id, t.label])).toEqual([
      ['core', '核心'],
      ['key', '重要'],
      ['regular', '普通'],
      ['potential', '潜在'],
    ]);
    expect(sut.pressure.platform).toMatchObject({ timeZone: 'Asia/Shanghai', massQuota: 'days_in_month' });
    expect(sut.complaints.keywords.map((k) => k.word)).toEqual(expect.arrayContaining(['投诉', '退货', '差评', '不满意', '退款', '骗子', '举报']));
  });

  it('should name the file, the field, a valid example and the bad value in one line', () => {
    edit('pressure.json', (j) => (j.tiers.core.minGapHours = 'two days'));
    const sut = failure();
    expect(sut).toBeInstanceOf(PolicyConfigError);
    expect(sut.code).toBe('POLICY_CONFIG_INVALID');
    expect(sut.message).toBe(`${path.join(dir, 'pressure.json')}: tiers.core.minGapHours must be a number of hours such as 48 (got "two days")`);
    expect(sut.message).not.toContain('\n');
  });

  it('should catch a misspelt setting', () => {
    edit('pressure.json', (j) => (j.tiers.key.quietHour = j.tiers.key.quietHours));
    expect(failure().message).toContain('tiers.key.quietHour is not a known setting');
  });

  it('should show what a time of day looks like', () => {
    edit('pressure.json', (j) => (j.tiers.core.quietHours.start = '9pm'));
    expect(failure().message).toContain('tiers.core.quietHours.start must be a 24-hour time such as 21:00 (got "9pm")');
  });

  it('should point at a list item by index', () => {
    edit('tiers.json', (j) => (j.tiers[1].minScore = 90));
    expect(failure().message).toContain('tiers.json: tiers must be ordered from the highest minScore to the lowest');
    edit('tiers.json', (j) => {
      j.tiers[1].minScore = 45;
      j.monetary.bands[0].points = 2.5;
    });
    expect(failure().message).toContain('monetary.bands[0].points must be whole points such as 10 (got 2.5)');
  });

  it('should report a missing field as missing', () => {
    edit('complaints.json', (j) => delete j.keywords);
    expect(failure().message).toBe(`${path.join(dir, 'complaints.json')}: keywords is missing (expected an array)`);
  });

  it('should require a pressure rule for every tier', () => {
    edit('pressure.json', (j) => delete j.tiers.key);
    expect(failure().message).toBe(
      `${path.join(dir, 'pressure.json')}: tiers.key is missing: every tier in tiers.json needs a pressure rule (copy one of the others)`,
    );
  });

  it('should reject a high-value tier that does not exist', () => {
    edit('next-action.json', (j) => (j.highValueTiers = ['core', 'vip']));
    expect(failure().message).toContain('highValueTiers[1] must be a tier id from tiers.json (one of: core, key, regular, potential), got "vip"');
  });

  it('should reject an invalid platform time zone', () => {
    edit('pressure.json', (j) => (j.platform.timeZone = 'Beijing'));
    expect(failure().message).toContain('platform.timeZone must be an IANA time zone such as Asia/Shanghai (got "Beijing")');
  });

  it('should say which file is missing or not JSON', () => {
    writeFileSync(path.join(dir, 'tiers.json'), '{ "tiers": [ }');
    expect(failure().message).toMatch(/tiers\.json is not valid JSON: /);
    unlinkSync(path.join(dir, 'next-action.json'));
    writeFileSync(path.join(dir, 'tiers.json'), readFileSync(path.join(DEFAULT_CONFIG_DIR, 'tiers.json')));
    expect(failure().message).toMatch(/next-action\.json is missing/);
  });
});
