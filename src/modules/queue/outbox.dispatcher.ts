import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { IsNull } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { Db } from '../../database/db.service';
import { OutboxEvent } from './outbox-event.entity';
import { OutboxService } from './outbox.service';
import { QueueService } from './queue.service';

/** Whether this process polls the outbox (CoreOptions.dispatchOutbox); dispatchOnce() works either way. */
export const OUTBOX_DISPATCH = Symbol('OUTBOX_DISPATCH');

/** Events per claim: one bulk send and one UPDATE marking them sent. */
const BATCH = 500;
const CLAIM_MS = 30_000;

/**
 * Moves outbox rows to BullMQ. Rows are claimed first (a claim token with an expiry; on PostgreSQL the
 * candidate rows are picked with FOR UPDATE SKIP LOCKED), so several dispatchers in several processes
 * never deliver the same row at once. Redis is called only outside transactions. If Redis is away the
 * row stays unsent and is retried with backoff; a job that was added but not marked sent is added again
 * with the same job id, which BullMQ drops, and consumers are idempotent besides.
 */
@Injectable()
export class OutboxDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxDispatcher.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;
  private again = false;
  private stopped = true;
  private unsubscribe?: () => void;

  constructor(
    private readonly db: Db,
    private readonly queues: QueueService,
    private readonly outbox: OutboxService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() @Inject(OUTBOX_DISPATCH) private readonly enabled: boolean = true,
  ) {}

  onApplicationBootstrap(): void {
    if (this.enabled === false) return;
    this.stopped = false;
    this.unsubscribe = this.outbox.onCommitted(() => void this.kick());
    this.schedule();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.kick(), this.config.outboxPollMs);
    this.timer.unref();
  }

  /** Runs one dispatch pass now (or right after the running one). */
  async kick(): Promise<number> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    if (this.timer) clearTimeout(this.timer);
    this.running = (async () => {
      let total = 0;
      try {
        do {
          this.again = false;
          const n = await this.dispatchOnce();
          total += n;
          if (n === BATCH) this.again = true;
        } while (this.again && !this.stopped);
      } catch (e) {
        this.logger.warn({ err: (e as Error).message }, 'outbox pass failed');
      } finally {
        this.running = undefined;
        this.schedule();
      }
      return total;
    })();
    return this.running;
  }

  /**
   * One pass: claim a batch, deliver it, mark the delivered ones sent. Returns how many were delivered.
   * The batch's jobs are added to BullMQ with one pipeline per queue (QueueService.addBulk: one socket write and one
   * round trip for up to 500 jobs instead of one each; job-id dedup still applies), then the delivered ones are marked
   * sent with one UPDATE. A queue's pipeline that fails while another one went through (Redis answers) is retried
   * event by event, each failure recorded with its backoff. When every pipeline fails (Redis away), the events go the
   * per-event way: the first one is tried alone, its failure recorded with backoff, and the rest released for the next
   * pass, as they would fail the same way.
   */
  async dispatchOnce(): Promise<number> {
    const token = randomUUID();
    const claimed = await this.claim(token);
    if (claimed.length === 0) return 0;
    let delivered = 0;
    let rest = claimed;
    let redisAnswers = false;
    if (claimed.length > 1) {
      const byQueue = new Map<string, OutboxEvent[]>();
      for (const ev of claimed) {
        const group = byQueue.get(ev.queue);
        if (group) group.push(ev);
        else byQueue.set(ev.queue, [ev]);
      }
      const groups = [...byQueue.values()];
      const outcomes = await Promise.allSettled(groups.map((evs) => this.queues.addBulk(evs[0].queue, evs.map((ev) => this.job(ev)))));
      const sent = groups.filter((_, i) => outcomes[i].status === 'fulfilled').flat();
      if (sent.length) {
        await this.markSent(token, sent);
        delivered += sent.length;
        redisAnswers = true;
      }
      rest = groups.filter((_, i) => outcomes[i].status === 'rejected').flat();
      if (rest.length && !redisAnswers) this.logger.warn({ events: rest.length }, 'bulk outbox send failed; trying event by event');
    }
    for (const ev of rest) {
      try {
        await this.send(ev);
        await this.markSent(token, [ev]);
        delivered++;
      } catch (e) {
        await this.markFailed(token, ev, e);
        // Redis is away: the rest of the batch would fail the same way. While it answers, each event is tried.
        if (!redisAnswers) break;
      }
    }
    // Release anything claimed but not attempted in this pass.
    await this.db.run((m) => m.update(OutboxEvent, { claimToken: token, sentAt: IsNull() }, { claimToken: null, claimedUntil: null }));
    return delivered;
  }

  /** The BullMQ job of an event: its payload with the event's id and type, under the event's job id. */
  private job(ev: OutboxEvent) {
    return { name: ev.type, data: { ...ev.payload, eventId: ev.id, eventType: ev.type }, opts: { jobId: ev.jobId } };
  }

  private send(ev: OutboxEvent) {
    const job = this.job(ev);
    return this.queues.add(ev.queue, job.name, job.data, job.opts);
  }

  /** One statement for the delivered events of this claim (`attempts + 1`: the rows are ours while claimed). */
  private async markSent(token: string, events: OutboxEvent[]): Promise<void> {
    const now = new Date();
    for (let i = 0; i < events.length; i += BATCH) {
      const ids = events.slice(i, i + BATCH).map((e) => e.id);
      await this.db.run((m) =>
        m
          .createQueryBuilder()
          .update(OutboxEvent)
          .set({ sentAt: now, claimToken: null, claimedUntil: null, attempts: () => 'attempts + 1', lastError: null })
          .where('claim_token = :token', { token })
          .andWhere('id IN (:...ids)', { ids })
          .execute(),
      );
    }
  }

  private async markFailed(token: string, ev: OutboxEvent, e: unknown): Promise<void> {
    const attempts = ev.attempts + 1;
    const backoff = Math.min(1000 * 2 ** Math.min(attempts, 6), 60_000);
    const message = ((e as Error)?.message ?? String(e)).slice(0, 500);
    await this.db.run((m) => m.update(OutboxEvent, { id: ev.id, claimToken: token }, { attempts, lastError: message, claimToken: null, claimedUntil: new Date(Date.now() + backoff) }));
  }

  private async claim(token: string): Promise<OutboxEvent[]> {
    const now = new Date();
    return this.db.transaction(async (m) => {
      const qb = m
        .createQueryBuilder(OutboxEvent, 'e')
        .select('e.id', 'id')
        .where('e.sentAt IS NULL')
        .andWhere('(e.claimedUntil IS NULL OR e.claimedUntil < :now)', { now })
        .orderBy('e.createdAt', 'ASC')
        .limit(BATCH);
      if (this.db.kind === 'postgres') qb.setLock('pessimistic_write').setOnLocked('skip_locked');
      const ids = (await qb.getRawMany<{ id: string }>()).map((r) => r.id);
      if (ids.length === 0) return [];
      // The conditions are repeated so that a concurrent claimer (another process) cannot take the same rows.
      await m
        .createQueryBuilder()
        .update(OutboxEvent)
        .set({ claimToken: token, claimedUntil: new Date(now.getTime() + CLAIM_MS) })
        .where('id IN (:...ids)', { ids })
        .andWhere('sent_at IS NULL')
        .andWhere('(claimed_until IS NULL OR claimed_until < :now)', { now })
        .execute();
      return m.find(OutboxEvent, { where: { claimToken: token }, order: { createdAt: 'ASC' } });
    });
  }

  /** Pending (unsent) events, for health and tests. */
  pending(): Promise<number> {
    return this.db.run((m) => m.count(OutboxEvent, { where: { sentAt: IsNull() } }));
  }
}
