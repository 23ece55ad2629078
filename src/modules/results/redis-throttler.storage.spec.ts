import type { AppConfig } from '../../config/app-config';
import { RedisThrottlerStorage } from './redis-throttler.storage';

describe('RedisThrottlerStorage', () => {
  it('counts in this process while Redis does not answer, still refusing past the limit', async () => {
    const storage = new RedisThrottlerStorage({ redisUrl: 'redis://127.0.0.1:1', queuePrefix: 'spec' } as AppConfig);
    (storage as unknown as { redis: unknown }).redis = { eval: () => Promise.reject(new Error('Connection is closed.')), disconnect: () => undefined };
    const hits = [];
    for (let i = 0; i < 3; i++) hits.push(await storage.increment('k', 60_000, 2, 0, 'public-results'));
    expect(hits.map((h) => h.isBlocked)).toEqual([false, false, true]);
    expect(hits[2].timeToBlockExpire).toBeGreaterThan(0);
    storage.onApplicationShutdown();
  });
});
