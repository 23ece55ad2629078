import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * A promise-chain mutex. TypeORM gives SQLite one shared connection: two transactions at once fail,
 * and a write issued while another request's transaction is open lands inside it and is lost with its
 * rollback. In SQLite mode every database access runs through one SerialLock. Re-entrant within the
 * same async call chain, so a service holding the lock may call another that asks for it.
 */
export class SerialLock {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly holder = new AsyncLocalStorage<true>();
  private waiting = 0;

  constructor(private readonly enabled: boolean) {}

  run<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.enabled || this.holder.getStore()) return fn();
    this.waiting++;
    const result = this.tail.then(() => {
      this.waiting--;
      return this.holder.run(true, fn);
    });
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Whether the current async call chain holds the lock. */
  get held(): boolean {
    return this.holder.getStore() === true;
  }

  /** Queue length, for diagnostics and benchmarks. */
  get queued(): number {
    return this.waiting;
  }
}
