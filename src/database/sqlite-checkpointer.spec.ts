import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SqliteCheckpointer } from './sqlite-checkpointer';

describe('SqliteCheckpointer', () => {
  let dir: string;
  let file: string;
  let db: Database.Database;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'checkpointer-'));
    file = path.join(dir, 'db.sqlite');
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    // The writer never checkpoints by itself here: whatever reaches the database file was copied by the thread.
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)');
  });
  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const writeMegabytes = (n: number) => {
    const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
    db.transaction(() => {
      for (let i = 0; i < n * 256; i++) insert.run('x'.repeat(4000));
    })();
  };
  const until = async (what: () => boolean, ms = 10_000) => {
    const end = Date.now() + ms;
    while (!what() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    return what();
  };

  it('copies the WAL back into the database file from its own thread while the writer goes on', async () => {
    writeMegabytes(2);
    const before = fs.statSync(file).size;
    expect(before).toBeLessThan(1024 * 1024); // the pages are in the WAL only
    const c = new SqliteCheckpointer(file, 20);
    c.start();
    try {
      expect(await until(() => fs.statSync(file).size > 2 * 1024 * 1024)).toBe(true);
      expect(c.counts.errors).toBe(0);
      // The writer keeps writing while the thread runs; its later pages are copied back too.
      writeMegabytes(1);
      expect(await until(() => fs.statSync(file).size > 3 * 1024 * 1024)).toBe(true);
      expect(db.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 3 * 256 });
    } finally {
      await c.stop();
    }
  });

  it('leaves the WAL alone when not started (the control), and stops cleanly, twice', async () => {
    writeMegabytes(2);
    const c = new SqliteCheckpointer(file, 20);
    await new Promise((r) => setTimeout(r, 200));
    expect(fs.statSync(file).size).toBeLessThan(1024 * 1024);
    await c.stop();
    c.start();
    expect(await until(() => c.counts.runs > 2)).toBe(true);
    await c.stop();
    await c.stop();
    const runs = c.counts.runs;
    await new Promise((r) => setTimeout(r, 100));
    expect(c.counts.runs).toBe(runs);
  });
});
