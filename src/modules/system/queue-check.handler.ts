import { Injectable } from '@nestjs/common';
import type { Job } from 'bullmq';
import { Db } from '../../database/db.service';
import { JobHandler } from '../queue/job-handler';
import { QueueCheckPayload, SYSTEM_JOBS, SYSTEM_QUEUE } from './system.queue';

/** Answers a queue check from a worker process: proves Redis, the worker and its database connection. */
@Injectable()
export class QueueCheckHandler implements JobHandler<QueueCheckPayload> {
  readonly queue = SYSTEM_QUEUE;
  readonly jobName = SYSTEM_JOBS.queueCheck;

  constructor(private readonly db: Db) {}

  async handle(job: Job<QueueCheckPayload>) {
    await job.updateProgress(50);
    const [{ n }] = await this.db.run((m) => m.query('SELECT 1 AS n'));
    await job.updateProgress(100);
    return { ok: Number(n) === 1, workerPid: process.pid, requestedAt: job.data.requestedAt, processedAt: new Date().toISOString() };
  }
}
