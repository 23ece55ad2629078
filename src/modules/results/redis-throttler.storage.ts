import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import IORedis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { withTimeout } from '../queue/redis-connections';

/**
 * A sliding log per key: hits older than the window are dropped, a hit is added only while under the
 * limit, and the key expires with the window. Redis's clock, so every API process counts alike.
 * Returns {hits counted, blocked (0/1), ms until the oldest hit leaves the window}.
 */
const SLIDING_LOG = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
local n = redis.call('ZCARD', KEYS[1])
local blocked = 0
if n < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  n = n + 1
else
  blocked = 1
end
redis.call('PEXPIRE', KEYS[1], ttl)
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local wait = ttl
if oldest[2] then wait = tonumber(oldest[2]) + ttl - now end
return {n, blocked, wait}
`;

/** How long a look-up waits for Redis before counting in this process instead. */
const REDIS_TIMEOUT_MS = 300;

/**
 * Rate-limit counters shared by every API process through Redis (the keys are the throttler's SHA-256
 * of route and client, under QUEUE_PREFIX), so N replicas allow 5 look-ups a minute per client in all,
 * not 5 each. While Redis does not answer, counting falls back to this process's memory (the limit
 * holds per process) rather than refusing or waving every request through.
 */
@Injectable()
export class RedisThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly logger = new Logger('PublicLookupThrottle');
  private readonly local = new ThrottlerStorageService();
  private redis?: IORedis;
  private degraded = false;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    try {
      this.redis ??= this.connect();
      const redisKey = `${this.config.queuePrefix}:throttle:${throttlerName}:${key}`;
      const [hits, blocked, waitMs] = (await withTimeout(this.redis.eval(SLIDING_LOG, 1, redisKey, ttl, limit, randomUUID()) as Promise<number[]>, REDIS_TIMEOUT_MS, 'rate-limit counter')).map(Number);
      if (this.degraded) {
        this.degraded = false;
        this.logger.log('rate-limit counters are shared through Redis again');
      }
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      return { totalHits: blocked ? hits + 1 : hits, timeToExpire: Math.ceil(ttl / 1000), isBlocked: blocked === 1, timeToBlockExpire: blocked ? seconds : 0 };
    } catch (e) {
      if (!this.degraded) {
        this.degraded = true;
        this.logger.warn({ err: (e as Error).message }, 'Redis unavailable: rate-limit counters kept in this process until it is back');
      }
      return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
    }
  }

  /**
   * Connected on first use. Unlike the producers' connections it queues commands while connecting, so
   * the first look-ups of a process are counted in Redis too; REDIS_TIMEOUT_MS bounds the wait.
   */
  private connect(): IORedis {
    const conn = new IORedis(this.config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: true, connectTimeout: 2000, retryStrategy: (n) => Math.min(200 * n, 2000), disconnectTimeout: 200 });
    conn.on('error', () => undefined); // reported by the failing calls (see increment)
    return conn;
  }

  onApplicationShutdown(): void {
    this.redis?.disconnect();
    this.redis = undefined;
    this.local.onApplicationShutdown();
  }
}
