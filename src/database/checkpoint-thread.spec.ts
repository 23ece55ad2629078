import type { DynamicModule, Provider } from '@nestjs/common';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { AppModule } from '../app.module';
import type { AppConfig } from '../config/app-config';
import { loadConfig } from '../config/load-config';
import { CHECKPOINT_THREAD, Db, SQLITE_MMAP } from './db.service';

/** Which processes run the SQLite checkpointer thread: API processes do, worker-only processes leave it to them. */
describe('the checkpointer thread per process shape', () => {
  let dir: string;
  let file: string;
  let ds: DataSource;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-thread-'));
    file = path.join(dir, 'db.sqlite');
    ds = await new DataSource({ type: 'better-sqlite3', database: file, prepareDatabase: (h: { pragma(s: string): unknown }) => void h.pragma('journal_mode = WAL') }).initialize();
  });
  afterEach(async () => {
    await ds.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const config = () => ({ database: { kind: 'sqlite', sqlitePath: file } }) as AppConfig;
  const autocheckpoint = async () => ((await ds.query('PRAGMA wal_autocheckpoint')) as { wal_autocheckpoint: number }[])[0].wal_autocheckpoint;
  const running = (db: Db) => (db as unknown as { checkpointer?: unknown }).checkpointer !== undefined;

  it('with the thread: started at bootstrap, the writer checkpointing by itself only as a far safety net', async () => {
    const db = new Db(ds, config(), true);
    db.onApplicationBootstrap();
    try {
      expect(running(db)).toBe(true);
      expect(await autocheckpoint()).toBe(10_000);
    } finally {
      await db.onApplicationShutdown();
    }
  });

  it('runs at the configured interval (SQLITE_CHECKPOINT_MS), 25 ms by default', async () => {
    const interval = (db: Db) => (db as unknown as { checkpointer?: { intervalMs: number } }).checkpointer?.intervalMs;
    const configured = (extra: Record<string, string>) => loadConfig({ NODE_ENV: 'test', VAR_DIR: dir, SQLITE_PATH: file, ...extra });
    expect(interval(new Db(ds, configured({ SQLITE_CHECKPOINT_MS: '250' }), true))).toBe(250);
    expect(interval(new Db(ds, configured({}), true))).toBe(25);
  });

  it('without it: no thread, and SQLite keeps its own checkpoint past 1,000 WAL pages', async () => {
    const db = new Db(ds, config(), false);
    db.onApplicationBootstrap();
    expect(running(db)).toBe(false);
    expect(await autocheckpoint()).toBe(1000);
    await db.onApplicationShutdown();
  });

  /** The value AppModule gives the Db of each process shape, read off the module it builds. */
  const providedOf = (token: symbol, api: boolean, workers: boolean) => {
    const app = AppModule.forRoot(loadConfig({ NODE_ENV: 'test', VAR_DIR: dir }), { api, workers });
    const core = (app.imports ?? []).find((m) => (m as DynamicModule).providers?.some((p) => (p as { provide?: unknown }).provide === token)) as DynamicModule;
    return ((core.providers ?? []) as Provider[]).map((p) => p as { provide?: unknown; useValue?: unknown }).find((p) => p.provide === token)?.useValue;
  };
  const threadOf = (api: boolean, workers: boolean) => providedOf(CHECKPOINT_THREAD, api, workers);

  it('runs in API processes (alone or with workers) and not in worker-only processes', () => {
    expect(threadOf(true, false)).toBe(true);
    expect(threadOf(true, true)).toBe(true);
    expect(threadOf(false, true)).toBe(false);
  });

  const mmapSize = async () => ((await ds.query('PRAGMA mmap_size')) as { mmap_size: number }[])[0].mmap_size;

  it('memory-mapped reads stay on in API processes and are turned off in worker-only processes', async () => {
    await ds.query('PRAGMA mmap_size = 268435456');
    const api = new Db(ds, config(), false, true);
    api.onApplicationBootstrap();
    expect(await mmapSize()).toBe(268435456);
    const worker = new Db(ds, config(), false, false);
    worker.onApplicationBootstrap();
    expect(await mmapSize()).toBe(0);
    expect(providedOf(SQLITE_MMAP, true, false)).toBe(true);
    expect(providedOf(SQLITE_MMAP, true, true)).toBe(true);
    expect(providedOf(SQLITE_MMAP, false, true)).toBe(false);
  });
});
