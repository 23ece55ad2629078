import { createTestApp, TestApp } from '../utils/create-test-app';

describe('database schema', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t?.dispose());

  it('is built by migrations alone and matches the entities exactly (migration:generate would find nothing)', async () => {
    const pending = await t.db.run(() => t.db.dataSource.driver.createSchemaBuilder().log());
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    const applied = await t.db.run((m) => m.query('SELECT name FROM migrations'));
    expect(applied.length).toBeGreaterThan(0);
  });

  it('runs SQLite with WAL, synchronous=NORMAL, a 5 s busy timeout and foreign keys on', async () => {
    if (t.db.kind !== 'sqlite') {
      expect(t.db.kind).toBe('postgres');
      return;
    }
    const pragma = async (name: string) => Object.values((await t.db.run((m) => m.query(`PRAGMA ${name}`)))[0] as object)[0];
    expect(String(await pragma('journal_mode')).toLowerCase()).toBe('wal');
    expect(Number(await pragma('synchronous'))).toBe(1); // NORMAL
    expect(Number(await pragma('busy_timeout'))).toBe(5000);
    expect(Number(await pragma('foreign_keys'))).toBe(1);
  });
});
