import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Job, Worker } from 'bullmq';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { forgetWorkerClient, registerWorkerClient } from './final-progress';
import { ANY_JOB, JOB_HANDLERS, JobHandler } from './job-handler';
import { workerConnectionOptions } from './redis-connections';
import { pingRedis } from './redis-server';

/**
 * Starts one BullMQ Worker per queue that has handlers. On shutdown (SIGTERM) the workers stop taking
 * jobs and wait for the running ones to finish before the connections close.
 */
@Injectable()
export class WorkerHost implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerHost.name);
  private readonly workers: Worker[] = [];
  private readonly byQueue = new Map<string, Map<string, JobHandler>>();

  constructor(
    @Inject(JOB_HANDLERS) handlers: JobHandler[],
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    for (const h of handlers) {
      const m = this.byQueue.get(h.queue) ?? new Map<string, JobHandler>();
      if (m.has(h.jobName)) throw new Error(`two handlers for job ${h.queue}/${h.jobName}`);
      m.set(h.jobName, h);
      this.byQueue.set(h.queue, m);
    }
  }

  onApplicationBootstrap(): void {
    for (const [queue, handlers] of this.byQueue) {
      const worker = new Worker(queue, (job: Job) => this.process(handlers, job), {
        connection: workerConnectionOptions(this.config.redisUrl),
        prefix: this.config.queuePrefix,
        concurrency: Math.max(...[...handlers.values()].map((h) => h.concurrency ?? 4)),
        autorun: true,
        lockDuration: this.config.queue.lockDurationMs,
        stalledInterval: this.config.queue.stalledIntervalMs,
      });
      // Its client, once connected, for reportFinalProgress (one socket write for a job's last progress and its completion).
      worker.backend.client.then((client) => registerWorkerClient(worker.qualifiedName, client)).catch(() => undefined);
      worker.on('error', (err) => this.logger.warn({ queue, err: err.message }, 'worker connection error'));
      worker.on('failed', (job, err) => this.logger.warn({ queue, job: job?.id, attempt: job?.attemptsMade, err: err.message }, 'job failed'));
      this.workers.push(worker);
    }
    this.logger.log({ queues: [...this.byQueue.keys()] }, 'workers started');
  }

  private async process(handlers: Map<string, JobHandler>, job: Job): Promise<unknown> {
    const handler = handlers.get(job.name) ?? handlers.get(ANY_JOB);
    if (!handler) throw new Error(`no handler for job ${job.queueName}/${job.name}`);
    return handler.handle(job);
  }

  /**
   * Stops taking jobs and waits for the running ones, while Redis answers. When it does not, a graceful close
   * would never return (BullMQ waits for QUIT and for an 'end' event that an ioredis client disconnected
   * between two reconnection attempts never emits), so the workers are closed by force: their running jobs
   * cannot be completed without Redis anyway, and come back as stalled jobs to an idempotent processor.
   */
  async onApplicationShutdown(): Promise<void> {
    if (this.workers.length === 0) return;
    const workers = this.workers.splice(0);
    for (const w of workers) forgetWorkerClient(w.qualifiedName);
    const reachable = await pingRedis(this.config.redisUrl, 1000);
    if (!reachable) this.logger.warn({ queues: workers.map((w) => w.name) }, 'Redis does not answer: closing the workers without waiting for running jobs');
    await Promise.allSettled(workers.map((w) => w.close(!reachable)));
  }
}
