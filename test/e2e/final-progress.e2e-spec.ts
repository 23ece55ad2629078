import { Logger } from '@nestjs/common';
import { Job, Queue } from 'bullmq';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config/load-config';
import { reportFinalProgress, workerClient } from '../../src/modules/queue/final-progress';
import { JobHandler } from '../../src/modules/queue/job-handler';
import { deleteKeysWithPrefix } from '../../src/modules/queue/redis-server';
import { WorkerHost } from '../../src/modules/queue/worker-host';

/**
 * A render job reports its progress once, when ready, without waiting (certificate-render.handler.ts). Sent the plain
 * way that report is a socket write of its own, and Redis is woken twice per job (the report, then the completion);
 * reportFinalProgress holds the worker connection's writes for the rest of the turn, so both leave in one write.
 * Real BullMQ and Redis, through WorkerHost as the worker processes run it, under a queue prefix of this file.
 */
describe('a job’s last progress report and its completion leave in one socket write', () => {
  const prefix = `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const config = loadConfig({ ...process.env, QUEUE_PREFIX: prefix });
  const QUEUE = 'final-progress';
  const N = 40;
  let queue: Queue;

  beforeAll(() => {
    // WorkerHost logs through Nest's static logger (no app here to route it): quiet, as the app-booting tests are.
    Logger.overrideLogger(false);
    queue = new Queue(QUEUE, { connection: { url: config.redisUrl }, prefix });
  });

  afterAll(async () => {
    await queue.close();
    await deleteKeysWithPrefix(config.redisUrl, prefix);
  });

  /** Runs N jobs one at a time through a WorkerHost whose handler reports as `report` does; socket writes per job. */
  async function writesPerJob(name: string, report: (job: Job, progress: object) => void): Promise<{ perJob: number; progress: unknown[] }> {
    const handler: JobHandler = {
      queue: QUEUE,
      jobName: name,
      concurrency: 1,
      async handle(job: Job) {
        // The job's own work ends in a later turn of the event loop, as a render's does.
        await new Promise((r) => setImmediate(r));
        report(job, { stage: 'ready', percent: 100, n: job.data.n });
        return { n: job.data.n };
      },
    };
    const host = new WorkerHost([handler], config);
    host.onApplicationBootstrap();
    try {
      const qualified = `${prefix}:${QUEUE}`;
      for (let i = 0; i < 100 && !workerClient(qualified)?.stream; i++) await new Promise((r) => setTimeout(r, 20));
      const stream = workerClient(qualified)!.stream!;
      let writes = 0;
      const count = (original: (...a: unknown[]) => unknown) =>
        function (this: unknown, ...a: unknown[]) {
          writes++;
          return original.apply(this, a);
        };
      const s = stream as unknown as { _write: (...a: unknown[]) => unknown; _writev: (...a: unknown[]) => unknown };
      const [write, writev] = [s._write, s._writev];
      s._write = count(write);
      s._writev = count(writev);
      const jobs = await queue.addBulk(Array.from({ length: N }, (_, n) => ({ name, data: { n }, opts: { jobId: `${name}-${n}` } })));
      const deadline = Date.now() + 20_000;
      while ((await queue.getJobCounts('completed')).completed < jobs.length * (name === 'plain' ? 1 : 2)) {
        if (Date.now() > deadline) throw new Error('jobs not completed in time');
        await new Promise((r) => setTimeout(r, 25));
      }
      s._write = write;
      s._writev = writev;
      const progress = await Promise.all(jobs.map(async (j) => (await queue.getJob(j.id!))?.progress));
      return { perJob: writes / N, progress };
    } finally {
      await host.onApplicationShutdown();
    }
  }

  it('sends the report and the completion together, and the report still reaches the job', async () => {
    const plain = await writesPerJob('plain', (job, p) => void job.updateProgress(p).catch(() => undefined));
    const together = await writesPerJob('together', reportFinalProgress);
    // Plain: the report, then the completion (which also asks for the next job), each a write.
    expect(plain.perJob).toBeGreaterThanOrEqual(1.9);
    // Together: one write per job (the rare extra one is a lock renewal or the wait for the next job).
    expect(together.perJob).toBeLessThanOrEqual(1.2);
    expect(together.progress).toEqual(Array.from({ length: N }, (_, n) => ({ stage: 'ready', percent: 100, n })));
    expect(plain.progress).toEqual(together.progress);
  });
});
