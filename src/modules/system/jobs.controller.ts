import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { hasRole } from '../../common/auth/auth-user';
import { CurrentUser, Roles } from '../../common/auth/decorators';
import { DomainError } from '../../common/errors/domain-error';
import { QueueService } from '../queue/queue.service';
import { QueueCheckPayload, queueCheckJobId, SYSTEM_JOBS, SYSTEM_QUEUE } from './system.queue';

@ApiTags('jobs')
@ApiBearerAuth()
@Controller('api')
export class JobsController {
  constructor(private readonly queues: QueueService) {}

  /** State of a background job, for the user who started it (and admins): `{state, progress, result, failedReason}`. */
  @Get('jobs/:id')
  async get(@CurrentUser() user: AuthUser, @Param('id') id: string) {
    if (!/^[A-Za-z0-9_-]{1,200}$/.test(id)) throw DomainError.invalid('VALIDATION_FAILED', ['id must be a job id']);
    const found = await this.queues.findJobWithState(id).catch(() => {
      throw new DomainError('unavailable', 'QUEUE_UNAVAILABLE', 'the job queue is unavailable; try again shortly');
    });
    const ownerId = (found?.job.data as { ownerId?: string } | undefined)?.ownerId;
    if (!found || (ownerId !== user.id && !hasRole(user, 'admin'))) throw DomainError.notFound('job', 'JOB_NOT_FOUND');
    const { job, state } = found;
    return {
      id: job.id,
      queue: job.queueName,
      name: job.name,
      state,
      progress: job.progress,
      result: job.returnvalue ?? null,
      failedReason: job.failedReason ?? null,
      attemptsMade: job.attemptsMade,
    };
  }

  /** Operations: an admin checks that the API can enqueue and a worker processes (202 `{jobId}`). */
  @Post('system/queue-check')
  @Roles('admin')
  @HttpCode(202)
  async queueCheck(@CurrentUser() user: AuthUser) {
    const payload: QueueCheckPayload = { ownerId: user.id, requestedAt: new Date().toISOString() };
    // A fresh id per check: the client-supplied X-Request-Id may repeat (BullMQ would silently return the
    // earlier job) or contain ':' (refused by jobId()).
    const job = await this.queues.addForRequest(SYSTEM_QUEUE, SYSTEM_JOBS.queueCheck, payload, { jobId: queueCheckJobId(randomUUID()) });
    return { jobId: job.id };
  }
}
