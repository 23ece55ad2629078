import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { OutboxEvent } from './outbox-event.entity';
import { jobId as buildJobId } from './queue.constants';

export interface NewOutboxEvent {
  /** Domain event type, e.g. `worker.registered`, `results.finalized`. */
  type: string;
  /** The BullMQ queue that acts on it. */
  queue: string;
  /** Deterministic job id (e.g. `certificate-<awardId>`); defaults to `event-<eventId>`. */
  jobId?: string;
  payload: Record<string, unknown>;
}

/** Writes events inside the caller's transaction; the OutboxDispatcher delivers them after commit. */
@Injectable()
export class OutboxService {
  private readonly listeners = new Set<() => void>();

  async add(m: EntityManager, event: NewOutboxEvent): Promise<OutboxEvent> {
    const id = randomUUID();
    const row = m.create(OutboxEvent, {
      id,
      type: event.type,
      queue: event.queue,
      jobId: event.jobId ?? buildJobId('event', id),
      payload: event.payload,
      attempts: 0,
      lastError: null,
      claimToken: null,
      claimedUntil: null,
      sentAt: null,
    });
    await m.insert(OutboxEvent, row as QueryDeepPartialEntity<OutboxEvent>);
    return row;
  }

  /** Call after the transaction commits, to deliver without waiting for the next poll. */
  notifyCommitted(): void {
    for (const l of this.listeners) l();
  }

  onCommitted(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
