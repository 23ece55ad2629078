import { Worker } from 'node:worker_threads';

/**
 * WAL checkpoints of a SQLite file in a worker thread, off the event loop.
 *
 * By default SQLite checkpoints inside the COMMIT that takes the WAL past 1,000 pages: that commit
 * copies the pages back into the database file and waits for two fsyncs, on the thread that serves
 * requests (measured under the marks load: COMMIT took 6 ms on average, a fifth of the API's time).
 * Here a second connection, in its own thread, runs `PRAGMA wal_checkpoint(PASSIVE)` every
 * `intervalMs` (25 ms by default; see Db): PASSIVE never waits for or blocks the writers, and once it has copied every frame the
 * next writer starts the WAL over. The writers' own automatic checkpoint stays as a safety net, at a
 * larger threshold (`Db` sets it), should this thread fall behind or stop.
 */
export class SqliteCheckpointer {
  private worker?: Worker;
  private exited?: Promise<void>;
  private stats = { runs: 0, walFrames: 0, checkpointedFrames: 0, busy: 0, errors: 0 };

  constructor(
    private readonly file: string,
    private readonly intervalMs = 25,
  ) {}

  start(): void {
    if (this.worker) return;
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file: this.file, intervalMs: this.intervalMs, driver: require.resolve('better-sqlite3') } });
    worker.unref();
    worker.on('message', (s: SqliteCheckpointer['stats']) => (this.stats = s));
    // A failing checkpointer must not take the process down: the writers' automatic checkpoint remains.
    worker.on('error', () => undefined);
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    this.worker = worker;
  }

  /** Runs so far, the WAL's frames and how many of them were copied back at the last run, runs that found another checkpoint running, failed runs. */
  get counts(): Readonly<SqliteCheckpointer['stats']> {
    return this.stats;
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

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const stats = { runs: 0, walFrames: 0, checkpointedFrames: 0, busy: 0, errors: 0 };
const timer = setInterval(() => {
  stats.runs++;
  try {
    // busy: 1 when another checkpoint is running; log: frames in the WAL; checkpointed: of those, copied back.
    const r = checkpoint.get();
    if (r.busy) stats.busy++;
    stats.walFrames = r.log;
    stats.checkpointedFrames = r.checkpointed;
  } catch (e) {
    stats.errors++;
  }
  parentPort.postMessage(stats);
}, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;
