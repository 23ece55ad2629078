import { Worker } from 'node:worker_threads';
import { DEFAULT_CHECKPOINT_INTERVAL_MS } from '../config/load-config';

/**
 * WAL checkpoints of a SQLite file in a worker thread, off the event loop.
 *
 * By default SQLite checkpoints inside the COMMIT that takes the WAL past 1,000 pages: that commit
 * copies the pages back into the database file and waits for two fsyncs, on the thread that serves
 * requests (measured under the marks load: COMMIT took 6 ms on average, a fifth of the API's time).
 * Here a second connection, in its own thread, runs `PRAGMA wal_checkpoint(PASSIVE)` every
 * `intervalMs` (SQLITE_CHECKPOINT_MS, 25 ms by default; see load-config.ts): PASSIVE never waits for or
 * blocks the writers, and once it has copied every frame the next writer starts the WAL over. The writers' own automatic checkpoint stays as a safety net, at a
 * larger threshold (`Db` sets it), should this thread fall behind or stop.
 */
export class SqliteCheckpointer {
  private worker?: Worker;
  private exited?: Promise<void>;
  /** Counters the thread updates in place (no message per run wakes this thread): see STATS. */
  private readonly stats = new Int32Array(new SharedArrayBuffer(STATS.length * 4));

  constructor(
    private readonly file: string,
    readonly intervalMs = DEFAULT_CHECKPOINT_INTERVAL_MS,
  ) {}

  start(): void {
    if (this.worker) return;
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file: this.file, intervalMs: this.intervalMs, driver: require.resolve('better-sqlite3'), stats: this.stats } });
    worker.unref();
    // A failing checkpointer must not take the process down: the writers' automatic checkpoint remains.
    worker.on('error', () => undefined);
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    this.worker = worker;
  }

  /** Runs so far, the WAL's frames and how many of them were copied back at the last run, runs that found another checkpoint running, failed runs. */
  get counts(): Readonly<Record<(typeof STATS)[number], number>> {
    return Object.fromEntries(STATS.map((k, i) => [k, Atomics.load(this.stats, i)])) as Record<(typeof STATS)[number], number>;
  }

  /** Stops the thread after its current checkpoint and closes its connection. */
  async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = undefined;
    worker.postMessage('stop');
    await this.exited;
  }
}

/** The counters' order in the shared array. */
const STATS = ['runs', 'walFrames', 'checkpointedFrames', 'busy', 'errors'] as const;

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const [RUNS, WAL_FRAMES, CHECKPOINTED_FRAMES, BUSY, ERRORS] = [0, 1, 2, 3, 4];
const stats = workerData.stats;
const timer = setInterval(() => {
  Atomics.add(stats, RUNS, 1);
  try {
    // busy: 1 when another checkpoint is running; log: frames in the WAL; checkpointed: of those, copied back.
    const r = checkpoint.get();
    if (r.busy) Atomics.add(stats, BUSY, 1);
    Atomics.store(stats, WAL_FRAMES, r.log);
    Atomics.store(stats, CHECKPOINTED_FRAMES, r.checkpointed);
  } catch (e) {
    Atomics.add(stats, ERRORS, 1);
  }
}, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;
