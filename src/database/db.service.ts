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
/** A statement refused with SQLITE_BUSY outside a transaction changed nothing: it is tried this many times more. */
const BUSY_RETRIES = 3;
/** With the checkpointer thread running, a writer checkpoints by itself only past this many WAL pages (40 MiB), as a safety net. */
const WRITER_AUTOCHECKPOINT_PAGES = 10_000;
/**
 * How often the checkpointer thread runs. Under the marks load (≈ 2,500 marks/s) every 25 ms gave a p99 of
 * 45–48 ms, every 100 ms 49–54 ms and every 1,000 ms 85 ms: small checkpoints stall the writer's WAL appends least.
 */
const CHECKPOINT_INTERVAL_MS = 25;

/**
 * Whether this process runs the checkpointer thread (SQLite). Off in worker-only processes: the API's thread
 * checkpoints for all, and a worker process without it checkpoints by itself only past SQLite's default
 * 1,000 WAL pages (when no API process runs).
 */
export const CHECKPOINT_THREAD = Symbol('CHECKPOINT_THREAD');

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
  ) {
    this.kind = config.database.kind;
    this.lock = new SerialLock(this.kind === 'sqlite');
    if (this.kind === 'sqlite' && checkpointThread) this.checkpointer = new SqliteCheckpointer(config.database.sqlitePath, CHECKPOINT_INTERVAL_MS);
  }

  /** After the migrations (module init): the file exists. */
  onApplicationBootstrap(): void {
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
    return this.lock.run(() => fn(this.dataSource.manager));
  }

  /** A multi-row change: all or nothing. Nested calls join the outer transaction. */
  transaction<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    const current = this.tx.getStore();
    if (current) return fn(current);
    return this.lock.run(() =>
      this.dataSource.transaction(async (m) => {
        // SQLite starts transactions DEFERRED: one that reads first and then writes fails at once with
        // "database is locked" when another process (a worker on the same file) holds the write lock,
        // without waiting the busy timeout. Writing first takes the lock up front, waiting as it should.
        if (this.kind === 'sqlite') await m.query('UPDATE migrations SET id = id WHERE 0');
        return this.tx.run(m, () => fn(m));
      }),
    );
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
    const run = async () => {
      const handle = this.sqliteHandle();
      let stmt = this.statements.get(sql);
      if (!stmt) {
        if (this.statements.size >= STATEMENT_CACHE) this.statements.clear();
        stmt = handle.prepare(sql);
        this.statements.set(sql, stmt);
      }
      const once = (s: BetterSqlite3.Statement) => (s.reader ? { rows: s.all(...params), changes: 0 } : { rows: [], changes: s.run(...params).changes });
      // Inside a transaction the write lock is ours already (Db.transaction takes it first): no waiting.
      if (current) return once(stmt);
      for (let attempt = 0; ; attempt++) {
        try {
          return once(stmt);
        } catch (e) {
          // SQLITE_BUSY despite the busy timeout (seen now and then with several processes on one WAL file): an
          // autocommit statement refused so changed nothing, and is tried again. Anything else is its own error.
          const code = (e as { code?: string }).code ?? '';
          if (!code.startsWith('SQLITE_BUSY') || attempt >= BUSY_RETRIES) throw e;
        }
        await new Promise((r) => setTimeout(r, 5 * 2 ** attempt));
      }
    };
    return current ? run() : this.lock.run(run);
  }

  get lockQueue(): number {
    return this.lock.queued;
  }
}
