import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { insertMany } from '../../database/bulk-insert';
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
    const row = this.row(m, event);
    await m.insert(OutboxEvent, row as QueryDeepPartialEntity<OutboxEvent>);
    return row;
  }

  /**
   * The same rows as add() for each event, in multi-row INSERTs (insertMany) and without reading
   * them back: the returned rows have no createdAt (the database's default).
   */
  async addMany(m: EntityManager, events: readonly NewOutboxEvent[]): Promise<OutboxEvent[]> {
    const rows = events.map((e) => this.row(m, e));
    await insertMany(m, OutboxEvent, rows);
    return rows;
  }

  private row(m: EntityManager, event: NewOutboxEvent): OutboxEvent {
    const id = randomUUID();
    return m.create(OutboxEvent, {
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
