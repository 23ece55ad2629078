import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { CompetitionsModule } from '../competitions/competitions.module';
import { IdentityModule } from '../identity/identity.module';
import { ScoringModule } from '../scoring/scoring.module';
import { AppealsService } from './appeals.service';
import { RedisThrottlerStorage } from './redis-throttler.storage';
import { AppealsController, ResultsController } from './results.controller';
import { ResultsService } from './results.service';

/** How many public result look-ups (GET /api/public/results) a client may make per minute. */
export const PUBLIC_LOOKUPS_PER_MINUTE = 5;

@Module({ providers: [RedisThrottlerStorage], exports: [RedisThrottlerStorage] })
class ThrottlerStorageModule {}

@Module({
  imports: [
    CompetitionsModule,
    ScoringModule,
    IdentityModule,
    // Only GET /api/public/results uses the guard (@UseGuards there); no other route is throttled. The
    // throttler is named `default` so that the answers carry the standard Retry-After and X-RateLimit-* headers.
    ThrottlerModule.forRootAsync({
      imports: [ThrottlerStorageModule],
      inject: [RedisThrottlerStorage],
      useFactory: (storage: RedisThrottlerStorage) => ({
        throttlers: [{ name: 'default', ttl: 60_000, limit: PUBLIC_LOOKUPS_PER_MINUTE }],
        errorMessage: `too many result look-ups: at most ${PUBLIC_LOOKUPS_PER_MINUTE} a minute; try again later`,
        storage,
      }),
    }),
  ],
  controllers: [ResultsController, AppealsController],
  providers: [ResultsService, AppealsService],
  exports: [ResultsService],
})
export class ResultsModule {}
