import type { Job } from 'bullmq';

/** One handler per (queue, job name); the WorkerHost refuses to start with a duplicate. */
export interface JobHandler<T = unknown, R = unknown> {
  readonly queue: string;
  readonly jobName: string;
  /** Jobs of this queue run at once per process (the highest of a queue's handlers; default 4). */
  readonly concurrency?: number;
  handle(job: Job<T>): Promise<R>;
}

export const JOB_HANDLERS = Symbol('JOB_HANDLERS');

/** Handler for every job of a queue whose name no specific handler claims (domain events). */
export const ANY_JOB = '*';
