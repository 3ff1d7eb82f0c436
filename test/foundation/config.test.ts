import { ConfigError, loadConfig, loadDatabaseConfig, parseDatabaseUrl } from '../../src/config';
import { TEST_WECOM_ENV } from '../helpers/wecom-callback';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('should default to the embedded SQLite database, port 3000 and Asia/Shanghai', () => {
    const sut = loadConfig({ ...TEST_WECOM_ENV });
    expect(sut.database.kind).toBe('sqlite');
    expect(sut.database.kind === 'sqlite' && sut.database.file).toMatch(/data\/fencun\.sqlite$/);
    expect(sut.port).toBe(3000);
    expect(sut.host).toBe('0.0.0.0');
    expect(sut.timezone).toBe('Asia/Shanghai');
    expect(sut.wecom.apiBase).toBe('https://qyapi.weixin.qq.com');
    expect(sut.publicBaseUrl).toBe('http://localhost:3000');
  });

  it('should name every missing WeCom variable at once', () => {
    const problems = problemsOf({});
    for (const name of ['WECOM_CORP_ID', 'WECOM_AGENT_ID', 'WECOM_AGENT_SECRET', 'WECOM_CALLBACK_TOKEN', 'WECOM_CALLBACK_AES_KEY']) {
      expect(problems.some((p) => p.startsWith(name + ' '))).toBe(true);
    }
  });

  it('should explain what a valid EncodingAESKey looks like', () => {
    const problems = problemsOf({ ...TEST_WECOM_ENV, WECOM_CALLBACK_AES_KEY: 'tooShortKey' });
    expect(problems).toEqual(['WECOM_CALLBACK_AES_KEY must be exactly 43 characters (got 11)']);
  });

  it.each([
    ['DATABASE_URL', 'postgres://x@y/z', 'mysql://user:pass@host:3306/db or sqlite:path/to/file.sqlite'],
    ['FENCUN_TIMEZONE', 'Mars/Olympus', 'IANA time zone'],
    ['WECOM_API_BASE', 'not a url', 'http(s) URL'],
    ['WECOM_AGENT_ID', 'abc', 'AgentId'],
    ['WECOM_CORP_ID', 'corp', 'CorpID'],
    ['PORT', '70000', 'port number'],
  ])('should reject a malformed %s with a hint', (name, value, hint) => {
    const problems = problemsOf({ ...TEST_WECOM_ENV, [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(name);
    expect(problems[0]).toContain(hint);
  });

  it('should parse MySQL URLs with credentials', () => {
    expect(parseDatabaseUrl('mysql://app:s%40cret@db.internal:3307/fencun')).toEqual({
      kind: 'mysql', host: 'db.internal', port: 3307, user: 'app', password: 's@cret', database: 'fencun',
      url: 'mysql://app:s%40cret@db.internal:3307/fencun',
    });
  });

  it('should need only DATABASE_URL for database commands', () => {
    expect(loadDatabaseConfig({ DATABASE_URL: 'sqlite:/tmp/x.sqlite' })).toMatchObject({ kind: 'sqlite', file: '/tmp/x.sqlite' });
    expect(() => loadDatabaseConfig({ DATABASE_URL: 'nope' })).toThrow(/DATABASE_URL/);
  });
});
