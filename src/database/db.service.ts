import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AsyncLocalStorage } from 'node:async_hooks';
import { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { SerialLock } from './serial-lock';

/**
 * The one way to reach the database. On SQLite it serializes every access through a SerialLock
 * (see serial-lock.ts for why); on PostgreSQL the lock is a no-op and every transaction gets its own
 * pooled connection. Rule: never await Redis or the network inside run()/transaction().
 */
@Injectable()
export class Db {
  private readonly lock: SerialLock;
  private readonly tx = new AsyncLocalStorage<EntityManager>();
  readonly kind: 'sqlite' | 'postgres';

  constructor(
    @InjectDataSource() readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.kind = config.database.kind;
    this.lock = new SerialLock(this.kind === 'sqlite');
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

  get lockQueue(): number {
    return this.lock.queued;
  }
}
