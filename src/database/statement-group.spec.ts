import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { Db } from './db.service';
import { StatementGroup } from './statement-group';

/** Group commit of single statements on a real SQLite file: one transaction per turn of the event loop, each answered alone. */
describe('StatementGroup (SQLite)', () => {
  let dir: string;
  let ds: DataSource;
  let db: Db;
  let group: StatementGroup;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stmt-group-'));
    ds = await new DataSource({ type: 'better-sqlite3', database: path.join(dir, 'db.sqlite'), prepareDatabase: (h: { pragma(s: string): unknown }) => void h.pragma('journal_mode = WAL') }).initialize();
    await ds.query('CREATE TABLE jobs (id TEXT PRIMARY KEY, status TEXT NOT NULL CHECK (status IN (\'queued\', \'rendering\', \'ready\')), n INTEGER NOT NULL DEFAULT 0)');
    // Db.transaction takes SQLite's write lock first with a no-op write to the migrations table.
    await ds.query('CREATE TABLE migrations (id INTEGER PRIMARY KEY)');
    await ds.query("INSERT INTO jobs (id, status) VALUES ('a', 'queued'), ('b', 'queued'), ('c', 'queued')");
    db = new Db(ds, { database: { kind: 'sqlite' } } as AppConfig);
    group = new StatementGroup(db);
  });
  afterEach(async () => {
    await ds.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const CLAIM = "UPDATE jobs SET status = 'rendering', n = n + 1 WHERE id = ? AND status = 'queued' RETURNING id, n";
  const READY = "UPDATE jobs SET status = 'ready' WHERE id = ? AND status = 'rendering'";
  const state = async () => ds.query('SELECT id, status, n FROM jobs ORDER BY id');

  it('writes the statements asked for in one turn in one transaction, and answers each with its own rows or count', async () => {
    const groups = jest.spyOn(db, 'group');
    const [a, b, again, readyC] = await Promise.all([group.rows(CLAIM, ['a']), group.rows(CLAIM, ['b']), group.rows(CLAIM, ['a']), group.exec(READY, ['c'])]);
    expect(a).toEqual([{ id: 'a', n: 1 }]);
    expect(b).toEqual([{ id: 'b', n: 1 }]);
    // In order: the second claim of a finds it rendering already; c was never claimed.
    expect(again).toEqual([]);
    expect(readyC).toBe(0);
    expect(groups).toHaveBeenCalledTimes(1);
    expect(groups.mock.calls[0][0]).toHaveLength(4);
    // The next turn's statements are a group of their own.
    expect(await Promise.all([group.exec(READY, ['a']), group.exec(READY, ['b'])])).toEqual([1, 1]);
    expect(groups).toHaveBeenCalledTimes(2);
    expect(await state()).toEqual([
      { id: 'a', status: 'ready', n: 1 },
      { id: 'b', status: 'ready', n: 1 },
      { id: 'c', status: 'queued', n: 0 },
    ]);
  });

  it('keeps a failing statement to its caller: the group is rolled back and the others run again alone', async () => {
    const results = await Promise.allSettled([
      group.rows(CLAIM, ['a']),
      group.exec("UPDATE jobs SET status = 'lost' WHERE id = ?", ['b']),
      group.rows(CLAIM, ['c']),
    ]);
    expect(results[0]).toEqual({ status: 'fulfilled', value: [{ id: 'a', n: 1 }] });
    expect(results[1].status).toBe('rejected');
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/CHECK constraint/);
    expect(results[2]).toEqual({ status: 'fulfilled', value: [{ id: 'c', n: 1 }] });
    // Each claim counted once: the rolled-back group left nothing behind.
    expect(await state()).toEqual([
      { id: 'a', status: 'rendering', n: 1 },
      { id: 'b', status: 'queued', n: 0 },
      { id: 'c', status: 'rendering', n: 1 },
    ]);
  });

  it('joins the current transaction when asked from inside one, and rolls back with it', async () => {
    await expect(
      db.transaction(async () => {
        expect(await db.group([{ sql: CLAIM, params: ['a'] }])).toEqual([{ rows: [{ id: 'a', n: 1 }], changes: 0 }]);
        throw new Error('abandoned');
      }),
    ).rejects.toThrow('abandoned');
    expect((await state())[0]).toEqual({ id: 'a', status: 'queued', n: 0 });
  });

  it('runs a statement alone at once on PostgreSQL (no grouping there)', async () => {
    const pg = { kind: 'postgres', rows: jest.fn(async () => [{ id: 'x' }]), exec: jest.fn(async () => 1), group: jest.fn() } as unknown as Db;
    const g = new StatementGroup(pg);
    expect(await Promise.all([g.rows(CLAIM, ['x']), g.exec(READY, ['x'])])).toEqual([[{ id: 'x' }], 1]);
    expect((pg as unknown as { group: jest.Mock }).group).not.toHaveBeenCalled();
  });
});
