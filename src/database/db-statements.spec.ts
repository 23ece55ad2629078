import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Column, DataSource, Entity, PrimaryColumn } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { Db } from './db.service';

@Entity({ name: 'stmt_things' })
class Thing {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ type: 'integer' }) n: number;
}

/**
 * A WAL database file with the things table and Db over it, made before each test and removed after; the
 * connection's busy timeout as given (0: a lock held by another connection answers SQLITE_BUSY at once).
 */
function sqliteDb(busyTimeoutMs: number, rows: Thing[]) {
  const t = {} as { dir: string; file: string; ds: DataSource; db: Db };
  beforeEach(async () => {
    t.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'db-stmt-'));
    t.file = path.join(t.dir, 'db.sqlite');
    t.ds = await new DataSource({
      type: 'better-sqlite3',
      database: t.file,
      entities: [Thing],
      synchronize: true,
      prepareDatabase: (h: { pragma(s: string): unknown }) => {
        h.pragma('journal_mode = WAL');
        h.pragma(`busy_timeout = ${busyTimeoutMs}`);
      },
    }).initialize();
    t.db = new Db(t.ds, { database: { kind: 'sqlite' } } as AppConfig);
    // Db.transaction takes SQLite's write lock first with a no-op write to the migrations table.
    await t.ds.query('CREATE TABLE migrations (id INTEGER PRIMARY KEY)');
    await t.ds.manager.insert(Thing, rows);
  });
  afterEach(async () => {
    await t.ds.destroy();
    fs.rmSync(t.dir, { recursive: true, force: true });
  });
  return t;
}

/** Db.rows / Db.exec on SQLite: plain statements straight on better-sqlite3, under the serial lock or in the current transaction. */
describe('Db.rows and Db.exec (SQLite)', () => {
  const t = sqliteDb(0, [
    { id: 'a', n: 1 },
    { id: 'b', n: 2 },
  ]);

  it('answers the rows of a SELECT and of a write with RETURNING, and the count of changed rows of a write', async () => {
    expect(await t.db.rows('SELECT id, n FROM stmt_things WHERE n >= ? ORDER BY id', [1])).toEqual([
      { id: 'a', n: 1 },
      { id: 'b', n: 2 },
    ]);
    expect(await t.db.rows('UPDATE stmt_things SET n = n + 10 WHERE id = ? RETURNING id, n', ['b'])).toEqual([{ id: 'b', n: 12 }]);
    expect(await t.db.exec('UPDATE stmt_things SET n = 0 WHERE n > ?', [5])).toBe(1);
    expect(await t.db.exec('UPDATE stmt_things SET n = 0 WHERE id = ?', ['nobody'])).toBe(0);
    expect(await t.ds.manager.find(Thing, { order: { id: 'ASC' } })).toEqual([
      { id: 'a', n: 1 },
      { id: 'b', n: 0 },
    ]);
  });

  it('joins the current transaction: its statements are undone with it', async () => {
    await expect(
      t.db.transaction(async () => {
        await t.db.exec('UPDATE stmt_things SET n = 99 WHERE id = ?', ['a']);
        expect(await t.db.rows('SELECT n FROM stmt_things WHERE id = ?', ['a'])).toEqual([{ n: 99 }]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await t.db.rows('SELECT n FROM stmt_things WHERE id = ?', ['a'])).toEqual([{ n: 1 }]);
  });

  it('tries a statement refused with SQLITE_BUSY again (another process held the write lock), changing the row once', async () => {
    const other = new Database(t.file);
    other.exec('BEGIN IMMEDIATE');
    setTimeout(() => other.exec('COMMIT'), 8);
    try {
      expect(await t.db.exec('UPDATE stmt_things SET n = n + 1 WHERE id = ?', ['a'])).toBe(1);
    } finally {
      if (other.inTransaction) other.exec('COMMIT');
      other.close();
    }
    expect(await t.db.rows('SELECT n FROM stmt_things WHERE id = ?', ['a'])).toEqual([{ n: 2 }]);
  });

  it('gives up after a few tries with the error, changing nothing', async () => {
    const other = new Database(t.file);
    other.exec('BEGIN IMMEDIATE');
    try {
      await expect(t.db.exec('UPDATE stmt_things SET n = n + 1 WHERE id = ?', ['a'])).rejects.toMatchObject({ code: expect.stringMatching(/^SQLITE_BUSY/) });
    } finally {
      other.exec('COMMIT');
      other.close();
    }
    expect(await t.db.rows('SELECT n FROM stmt_things WHERE id = ?', ['a'])).toEqual([{ n: 1 }]);
  });

  it('refuses a bad statement with the driver’s error and keeps working', async () => {
    // (toMatchObject: the driver's error class may come from another test file's realm, which toThrow does not take for an error)
    await expect(t.db.rows('SELECT missing_column FROM stmt_things')).rejects.toMatchObject({ message: expect.stringMatching(/no such column/) });
    expect(await t.db.rows('SELECT COUNT(*) AS c FROM stmt_things')).toEqual([{ c: 2 }]);
  });
});

/** With the connection's busy timeout set (5 s, as in production): waiting for another process's write lock. */
describe('Db.rows and Db.exec (SQLite) while another process holds the write lock', () => {
  const t = sqliteDb(5000, [{ id: 'a', n: 1 }]);

  it('waits without blocking the event loop (timers keep firing), then changes the row once', async () => {
    const other = new Database(t.file);
    other.exec('BEGIN IMMEDIATE');
    const release = setTimeout(() => other.exec('COMMIT'), 60);
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 2);
    try {
      const changed = t.db.exec('UPDATE stmt_things SET n = n + 1 WHERE id = ?', ['a']);
      // SQLite's own busy handler would sleep the whole process until the lock is free: no tick in between.
      expect(await changed).toBe(1);
      expect(ticks).toBeGreaterThanOrEqual(5);
    } finally {
      clearInterval(ticker);
      clearTimeout(release);
      if (other.inTransaction) other.exec('COMMIT');
      other.close();
    }
    expect(await t.db.rows('SELECT n FROM stmt_things WHERE id = ?', ['a'])).toEqual([{ n: 2 }]);
  });

  it('inside Db.run leaves the busy timeout to the TypeORM statements around it', async () => {
    const timeouts = await t.db.run(async (m) => {
      await t.db.exec('UPDATE stmt_things SET n = n + 1 WHERE id = ?', ['a']);
      return m.query('PRAGMA busy_timeout');
    });
    expect(timeouts).toEqual([{ timeout: 5000 }]);
    expect(await t.db.rows('SELECT n FROM stmt_things WHERE id = ?', ['a'])).toEqual([{ n: 2 }]);
  });

  it('gives up with SQLITE_BUSY after the connection’s busy timeout, which TypeORM’s statements (Db.run) still get', async () => {
    const handle = (t.ds.driver as unknown as { databaseConnection: Database.Database }).databaseConnection;
    handle.pragma('busy_timeout = 150');
    const other = new Database(t.file);
    other.exec('BEGIN IMMEDIATE');
    const t0 = Date.now();
    try {
      await expect(t.db.exec('UPDATE stmt_things SET n = n + 1 WHERE id = ?', ['a'])).rejects.toMatchObject({ code: expect.stringMatching(/^SQLITE_BUSY/) });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    } finally {
      other.exec('COMMIT');
      other.close();
    }
    expect(await t.db.run((m) => m.query('PRAGMA busy_timeout'))).toEqual([{ timeout: 150 }]);
    await t.db.transaction(async (m) => expect(await m.query('PRAGMA busy_timeout')).toEqual([{ timeout: 150 }]));
    expect(await t.db.rows('SELECT n FROM stmt_things WHERE id = ?', ['a'])).toEqual([{ n: 1 }]);
  });
});
