import { Db } from './db.service';

interface Pending {
  /** rows() or exec(): how the statement runs again alone. */
  reads: boolean;
  sql: string;
  params: readonly unknown[];
  resolve(r: { rows: unknown[]; changes: number }): void;
  reject(e: unknown): void;
}

/**
 * Group commit of single statements (SQLite): the statements asked for in the same turn of the event loop run in
 * one write transaction (Db.group), each answered as if alone. For workers writing a row per job (a certificate's
 * claim, then its ready state): with several processes on one WAL file, every write transaction costs the write
 * lock, a WAL append and a commit, and a process that finds the lock taken sleeps in SQLite's busy handler.
 *
 * Every statement must stand on its own (a conditional UPDATE, say): if the group's transaction fails, each runs
 * again alone, and only its own error reaches its caller. On PostgreSQL, where row locks let writers run side by
 * side, each statement runs at once.
 */
export class StatementGroup {
  private pending: Pending[] = [];
  private scheduled = false;

  constructor(private readonly db: Db) {}

  rows<T = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    if (this.db.kind !== 'sqlite') return this.db.rows<T>(sql, params);
    return this.enqueue(true, sql, params).then((r) => r.rows as T[]);
  }

  exec(sql: string, params: readonly unknown[] = []): Promise<number> {
    if (this.db.kind !== 'sqlite') return this.db.exec(sql, params);
    return this.enqueue(false, sql, params).then((r) => r.changes);
  }

  private enqueue(reads: boolean, sql: string, params: readonly unknown[]): Promise<{ rows: unknown[]; changes: number }> {
    return new Promise((resolve, reject) => {
      this.pending.push({ reads, sql, params, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      // setImmediate, not a microtask: jobs whose awaits settled in this turn (a file stored, a job fetched) join.
      setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const items = this.pending;
    this.pending = [];
    this.scheduled = false;
    if (items.length > 1) {
      try {
        const out = await this.db.group(items);
        items.forEach((it, i) => it.resolve(out[i]));
        return;
      } catch {
        // Rolled back as a whole: each statement again on its own, so that one's failure stays its own.
      }
    }
    // Alone: an autocommit statement, as Db.rows/exec run it (tried again when refused with SQLITE_BUSY).
    for (const it of items) {
      try {
        it.resolve(it.reads ? { rows: await this.db.rows(it.sql, it.params), changes: 0 } : { rows: [], changes: await this.db.exec(it.sql, it.params) });
      } catch (e) {
        it.reject(e);
      }
    }
  }
}
