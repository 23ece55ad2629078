import { Controller, Get } from '@nestjs/common';
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
  check() {
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
