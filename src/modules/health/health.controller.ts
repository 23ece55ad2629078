import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { Public } from '../../common/auth/decorators';
import { Db } from '../../database/db.service';
import { OutboxDispatcher } from '../queue/outbox.dispatcher';
import { QueueService } from '../queue/queue.service';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly db: Db,
    private readonly queues: QueueService,
    private readonly outbox: OutboxDispatcher,
  ) {}

  /** 200 with `status: ok` when the database and Redis answer; 503 naming the one that does not. */
  @Public()
  @Get()
  @HealthCheck()
  async check(@Res({ passthrough: true }) res: FastifyReply) {
    try {
      return await this.probe();
    } catch (e) {
      // Terminus reports a failing dependency as a 503 exception; it is an answer, not an unexpected error.
      if (e instanceof ServiceUnavailableException) {
        res.code(503);
        return e.getResponse();
      }
      throw e;
    }
  }

  private probe() {
    return this.health.check([
      async () => {
        const ind = this.indicators.check('database');
        try {
          await this.db.run((m) => m.query('SELECT 1'));
          return ind.up({ kind: this.db.kind, pendingOutboxEvents: await this.outbox.pending() });
        } catch (e) {
          return ind.down({ kind: this.db.kind, message: (e as Error).message });
        }
      },
      async () => {
        const ind = this.indicators.check('redis');
        return (await this.queues.ping()) ? ind.up() : ind.down({ message: 'Redis does not answer' });
      },
    ]);
  }
}
