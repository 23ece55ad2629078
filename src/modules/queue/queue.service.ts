import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Job, JobsOptions, JobState, Queue } from 'bullmq';
import IORedis from 'ioredis';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { DomainError } from '../../common/errors/domain-error';
import { DEFAULT_JOB_OPTIONS, DOMAIN_EVENTS_QUEUE, SYSTEM_QUEUE } from './queue.constants';
import { producerConnection, withTimeout } from './redis-connections';

/** Producer side of BullMQ: one fail-fast connection shared by every queue of this process. */
@Injectable()
export class QueueService implements OnApplicationShutdown {
  private readonly logger = new Logger(QueueService.name);
  private readonly queues = new Map<string, Queue>();
  private connection?: IORedis;
  private static readonly knownQueues = new Set<string>([DOMAIN_EVENTS_QUEUE, SYSTEM_QUEUE]);

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Feature modules declare their queues so that the dashboard and job look-ups know them. */
  static declare(name: string): void {
    QueueService.knownQueues.add(name);
  }

  get names(): string[] {
    return [...QueueService.knownQueues];
  }

  get redis(): IORedis {
    this.connection ??= producerConnection(this.config.redisUrl);
    return this.connection;
  }

  queue(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.redis, prefix: this.config.queuePrefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
      q.on('error', (err) => this.logger.warn({ queue: name, err: err.message }, 'queue connection error'));
      this.queues.set(name, q);
    }
    return q;
  }

  /** Adds a job, failing at once (or within a few seconds) when Redis is away instead of hanging the caller. */
  async add<T extends object>(queue: string, name: string, data: T, opts: JobsOptions = {}): Promise<Job<T>> {
    await this.connected();
    return withTimeout(this.queue(queue).add(name, data, opts) as Promise<Job<T>>, 3000, `adding job to ${queue}`);
  }

  /**
   * Adds several jobs to one queue in one pipeline (BullMQ's addBulk: one socket write and one round trip for all
   * of them; job-id dedup still applies to each). Fails as a whole, fast while Redis is away, like add(); some of
   * the jobs may have been added even so (their ids make a second add of them a no-op).
   */
  async addBulk<T extends object>(queue: string, jobs: ReadonlyArray<{ name: string; data: T; opts?: JobsOptions }>): Promise<Job<T>[]> {
    if (jobs.length === 0) return [];
    await this.connected();
    return withTimeout(this.queue(queue).addBulk([...jobs]) as Promise<Job<T>[]>, 5000, `adding ${jobs.length} jobs to ${queue}`);
  }

  /**
   * Resolves when the shared connection is ready; rejects at once while Redis is away, and after `ms` while a
   * connection attempt is still in flight. Checked before BullMQ is touched: a Queue first used while the
   * connection is down waits for 'ready' with no deadline, so an add given up by withTimeout() would still
   * run once Redis is back, after its caller was told it failed.
   */
  private async connected(ms = 3000): Promise<void> {
    const conn = this.redis;
    if (conn.status === 'ready') return;
    if (conn.status !== 'connecting' && conn.status !== 'connect') {
      throw new Error(`Redis is not connected (${conn.status})`);
    }
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        clearTimeout(timer);
        conn.off('ready', onReady);
        conn.off('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      const onReady = () => done();
      const onClose = () => done(new Error('Redis is not connected (connection closed)'));
      const timer = setTimeout(() => done(new Error(`Redis is not connected (no answer within ${ms} ms)`)), ms);
      conn.once('ready', onReady);
      conn.once('close', onClose);
    });
  }

  /** Like add(), but answers 503 QUEUE_UNAVAILABLE to an HTTP caller when Redis is away. */
  async addForRequest<T extends object>(queue: string, name: string, data: T, opts: JobsOptions = {}): Promise<Job<T>> {
    try {
      return await this.add(queue, name, data, opts);
    } catch (e) {
      this.logger.warn({ queue, err: (e as Error).message }, 'could not enqueue');
      throw new DomainError('unavailable', 'QUEUE_UNAVAILABLE', 'the job queue is unavailable; try again shortly');
    }
  }

  /** Finds a job by id across the known queues (to show its state too, use findJobWithState). */
  async findJob(id: string): Promise<Job | undefined> {
    await this.connected();
    for (const name of this.names) {
      const job = await withTimeout(this.queue(name).getJob(id), 3000, 'reading job');
      if (job) return job;
    }
    return undefined;
  }

  /**
   * Finds a job and its state. The state is read before the job: a job read first and found `completed`
   * a moment later would be shown finished with its old progress and no result (BullMQ writes the result
   * and the state in one script, so data read after the state is at least as new as it).
   */
  async findJobWithState(id: string): Promise<{ job: Job; state: JobState | 'unknown' } | undefined> {
    await this.connected();
    for (const name of this.names) {
      const q = this.queue(name);
      const state = await withTimeout(q.getJobState(id), 3000, 'reading job state');
      if (state === 'unknown') continue;
      const job = await withTimeout(q.getJob(id), 3000, 'reading job');
      // Removed in between (retention): not found, like a job that never existed.
      if (job) return { job, state };
    }
    return undefined;
  }

  /**
   * Whether Redis answers within about a second. A connection still being made (the first use of this process's,
   * e.g. a health check right after boot) is waited for: without an offline queue a command sent before it is ready
   * fails at once, which is no answer about Redis.
   */
  async ping(): Promise<boolean> {
    try {
      await this.connected(1000);
      return (await withTimeout(this.redis.ping(), 1000, 'redis ping')) === 'PONG';
    } catch {
      return false;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
    if (this.connection) {
      this.connection.disconnect();
      this.connection = undefined;
    }
  }
}
