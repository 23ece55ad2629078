import { Injectable } from '@nestjs/common';
import type { Job } from 'bullmq';
import { Db } from '../../database/db.service';
import { HandledEvent } from './handled-event.entity';
import { ANY_JOB, JobHandler } from './job-handler';
import { DOMAIN_EVENTS_QUEUE } from './queue.constants';

interface EventJob {
  eventId: string;
  eventType: string;
}

/**
 * Records every domain event that reaches a worker, once: a redelivered job only bumps the delivery
 * count. Feature reactions (certificates, notifications) run in their own queues with their own jobs.
 */
@Injectable()
export class DomainEventHandler implements JobHandler<EventJob, { eventId: string; firstDelivery: boolean }> {
  readonly queue = DOMAIN_EVENTS_QUEUE;
  readonly jobName = ANY_JOB;

  constructor(private readonly db: Db) {}

  async handle(job: Job<EventJob>) {
    const { eventId, eventType } = job.data;
    return this.db.transaction(async (m) => {
      const seen = await m.findOne(HandledEvent, { where: { eventId } });
      if (seen) {
        await m.increment(HandledEvent, { eventId }, 'deliveries', 1);
        return { eventId, firstDelivery: false };
      }
      await m.insert(HandledEvent, { eventId, type: eventType, deliveries: 1 });
      return { eventId, firstDelivery: true };
    });
  }
}
