import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type BetterSqlite3 from 'better-sqlite3';
import { AsyncLocalStorage } from 'node:async_hooks';
import { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { placeholdersFor } from './raw-values';
import { SerialLock } from './serial-lock';
import { SqliteCheckpointer } from './sqlite-checkpointer';

/** Prepared statements kept per SQL text by rows()/exec() on SQLite; the texts are constants, so this is a bound, not a working set. */
const STATEMENT_CACHE = 200;
/**
 * A plain statement (rows/exec) refused with SQLITE_BUSY outside a transaction changed nothing, and is tried again
 * after these pauses (ms; 0: the next event-loop turn), the last one repeated until the connection's busy timeout
 * has passed, and at least once for each. The waiting is done here, not in SQLite's busy handler, which sleeps the
 * whole process (1, 2, 5 … ms, while the other process holds the write lock for a tenth of that): the other jobs
 * of the process go on meanwhile.
 */
const BUSY_PAUSES_MS = [0, 1, 2, 5, 10, 20, 50];
/** With the checkpointer thread running, a writer checkpoints by itself only past this many WAL pages (40 MiB), as a safety net. */
const WRITER_AUTOCHECKPOINT_PAGES = 10_000;

/**
 * Whether this process runs the checkpointer thread (SQLite). Off in worker-only processes: the API's thread
 * checkpoints for all, and a worker process without it checkpoints by itself only past SQLite's default
 * 1,000 WAL pages (when no API process runs).
 */
export const CHECKPOINT_THREAD = Symbol('CHECKPOINT_THREAD');

/** Whether this process keeps SQLite's memory-mapped reads (CoreOptions.sqliteMmap); off: `mmap_size = 0` at bootstrap. */
export const SQLITE_MMAP = Symbol('SQLITE_MMAP');

/**
 * The one way to reach the database. On SQLite it serializes every access through a SerialLock
 * (see serial-lock.ts for why); on PostgreSQL the lock is a no-op and every transaction gets its own
 * pooled connection. Rule: never await Redis or the network inside run()/transaction().
 */
@Injectable()
export class Db implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly lock: SerialLock;
  /** SQLite: WAL checkpoints in a worker thread (see sqlite-checkpointer.ts). */
  private readonly checkpointer?: SqliteCheckpointer;
  private readonly tx = new AsyncLocalStorage<EntityManager>();
  readonly kind: 'sqlite' | 'postgres';

  constructor(
    @InjectDataSource() readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
    @Optional() @Inject(CHECKPOINT_THREAD) checkpointThread: boolean = true,
    @Optional() @Inject(SQLITE_MMAP) private readonly mmap: boolean = true,
  ) {
    this.kind = config.database.kind;
    this.lock = new SerialLock(this.kind === 'sqlite');
    if (this.kind === 'sqlite' && checkpointThread) this.checkpointer = new SqliteCheckpointer(config.database.sqlitePath, config.database.checkpointIntervalMs);
  }

  /** After the migrations (module init): the file exists. */
  onApplicationBootstrap(): void {
    if (this.kind !== 'sqlite') return;
    if (!this.mmap) this.sqliteHandle().pragma('mmap_size = 0');
    if (!this.checkpointer) return;
    this.sqliteHandle().pragma(`wal_autocheckpoint = ${WRITER_AUTOCHECKPOINT_PAGES}`);
    this.checkpointer.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.checkpointer?.stop();
  }

  private sqliteHandle(): BetterSqlite3.Database {
    return (this.dataSource.driver as unknown as { databaseConnection: BetterSqlite3.Database }).databaseConnection;
  }

  /** Plain reads and single writes. Inside a transaction, joins it. */
  run<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    const current = this.tx.getStore();
    if (current) return fn(current);
    return this.lock.run(() => {
      this.busyWait();
      return fn(this.dataSource.manager);
    });
  }

  /** A multi-row change: all or nothing. Nested calls join the outer transaction. */
  transaction<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    const current = this.tx.getStore();
    if (current) return fn(current);
    return this.lock.run(() => {
      this.busyWait();
      return this.dataSource.transaction(async (m) => {
        // SQLite starts transactions DEFERRED: one that reads first and then writes fails at once with
        // "database is locked" when another process (a worker on the same file) holds the write lock,
        // without waiting the busy timeout. Writing first takes the lock up front, waiting as it should.
        if (this.kind === 'sqlite') await m.query('UPDATE migrations SET id = id WHERE 0');
        return this.tx.run(m, () => fn(m));
      });
    });
  }

  /** Whether this call chain is inside run() or transaction() (it holds the SQLite lock, if any). */
  get inside(): boolean {
    return this.tx.getStore() !== undefined || this.lock.held;
  }

  /**
   * One plain statement written with `?` placeholders, and its rows: a SELECT, or a write with RETURNING. For the
   * hot paths of workers: on SQLite a cached prepared statement runs straight on better-sqlite3 (under the serial
   * lock, or inside the current transaction), without TypeORM's query runner; on PostgreSQL through the pool or the
   * current transaction, `?` turned into `$n`. Values must be what the driver takes (no Date or boolean on SQLite:
   * convert them with the column, as insertMany does).
   */
  async rows<T = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return (await this.statement(sql, params)).rows as T[];
  }

  /** One plain write (`?` placeholders, as rows()); how many rows it changed. */
  async exec(sql: string, params: readonly unknown[] = []): Promise<number> {
    return (await this.statement(sql, params)).changes;
  }

  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  private async statement(sql: string, params: readonly unknown[]): Promise<{ rows: unknown[]; changes: number }> {
    const current = this.tx.getStore();
    if (this.kind === 'postgres') {
      const text = placeholdersFor('postgres', sql);
      const runner = current?.queryRunner ?? this.dataSource.createQueryRunner();
      try {
        const r = await runner.query(text, params as unknown[], true);
        return { rows: (r.records ?? []) as unknown[], changes: r.affected ?? 0 };
      } finally {
        if (!current) await runner.release();
      }
    }
    const stmt = this.prepared(sql);
    const once = () => (stmt.reader ? { rows: stmt.all(...params), changes: 0 } : { rows: [], changes: stmt.run(...params).changes });
    // Inside a transaction the write lock is ours already (Db.transaction takes it first): no waiting. Inside
    // run(), TypeORM's statements around this one keep the busy timeout: this one waits as they do.
    if (current || this.lock.held) return once();
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.lock.run(async () => {
          this.busyWait(false);
          return once();
        });
      } catch (e) {
        // Another process holds the write lock: an autocommit statement refused changed nothing, and is tried
        // again. Anything else is its own error.
        const code = (e as { code?: string }).code ?? '';
        const waited = Date.now() - started;
        if (!code.startsWith('SQLITE_BUSY') || (attempt >= BUSY_PAUSES_MS.length - 1 && waited >= this.busyTimeoutMs())) throw e;
      }
      const pause = BUSY_PAUSES_MS[Math.min(attempt, BUSY_PAUSES_MS.length - 1)];
      await new Promise((r) => (pause === 0 ? setImmediate(r) : setTimeout(r, pause)));
    }
  }

  private prepared(sql: string): BetterSqlite3.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      if (this.statements.size >= STATEMENT_CACHE) this.statements.clear();
      stmt = this.sqliteHandle().prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  /** SQLite: the connection's busy timeout (data-source-options), read once. */
  private busyTimeout?: number;
  private busyTimeoutMs(): number {
    this.busyTimeout ??= Number(this.sqliteHandle().pragma('busy_timeout', { simple: true }));
    return this.busyTimeout;
  }

  /** SQLite: whether the connection's busy timeout is at 0, as rows()/exec() leave it; run() and transaction() put it back. */
  private busyWaitOff = false;

  /**
   * SQLite: the connection's busy timeout on (the configured one: TypeORM's statements wait for another process's
   * write lock in SQLite's busy handler) or off (0: rows()/exec() get SQLITE_BUSY at once and wait in the event
   * loop). Switched only when the kind of caller changes, so a worker's job statements in a row pay nothing.
   */
  private busyWait(on = true): void {
    if (this.kind !== 'sqlite' || this.busyWaitOff !== on) return;
    const timeout = this.busyTimeoutMs();
    if (timeout === 0) return;
    this.prepared(`PRAGMA busy_timeout = ${on ? timeout : 0}`).get();
    this.busyWaitOff = !on;
  }

  get lockQueue(): number {
    return this.lock.queued;
  }
}
