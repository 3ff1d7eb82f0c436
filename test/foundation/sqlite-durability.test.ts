import { parseDatabaseUrl } from '../../src/config';
import { createDataSource } from '../../src/db/data-source';
import { Database } from '../../src/db/database';
import { createTestDatabase, TestDatabase } from '../helpers/db';

/**
 * Promise: an event acknowledged to WeCom survives power loss on the embedded database. The
 * acknowledgement follows the inbox insert's commit, so the commit must be on disk when it
 * returns: WAL with synchronous=FULL (NORMAL may drop the last commits). Always checked on a
 * SQLite file, whichever database the suite runs on: it is the embedded default's setting.
 */
describe('embedded SQLite durability', () => {
  let database: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    const ds = createDataSource(parseDatabaseUrl(database.url)!);
    await ds.initialize();
    db = new Database(ds);
  });
  afterAll(async () => {
    await db?.ds.destroy();
    await database?.drop();
  });

  it('should commit with synchronous=FULL in WAL mode on every connection it opens', async () => {
    // SQLite reports synchronous as a number: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA.
    const [sync] = await db.query<{ synchronous: unknown }>('PRAGMA synchronous');
    const [journal] = await db.query<{ journal_mode: unknown }>('PRAGMA journal_mode');
    expect({ synchronous: Number(sync.synchronous), journal: String(journal.journal_mode).toLowerCase() }).toEqual({ synchronous: 2, journal: 'wal' });
    // And inside a transaction (the inbox writer's path), which runs on the same connection.
    const inTx = await db.transaction((tx) => tx.query<{ synchronous: unknown }>('PRAGMA synchronous'));
    expect(Number(inTx[0].synchronous)).toBe(2);
  });
});
