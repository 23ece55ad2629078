import type { AppConfig } from '../../config/app-config';
import { QueueService } from './queue.service';
import { freePort } from './redis-server';
import { silentPeer } from '../../../test/utils/silent-peer';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const service = (redisUrl: string) => new QueueService({ redisUrl, queuePrefix: `spec-queue-service-${process.pid}` } as AppConfig);

describe('QueueService.ping', () => {
  const made: QueueService[] = [];
  const make = (url: string) => {
    const s = service(url);
    made.push(s);
    return s;
  };
  afterEach(async () => {
    await Promise.all(made.splice(0).map((s) => s.onApplicationShutdown()));
  });

  // A health check right after boot is often the first use of the process's connection (smoke e2e: 503 in a CI run).
  it('answers true on the first call, while its connection is still being made', async () => {
    const s = make(REDIS_URL);
    await expect(s.ping()).resolves.toBe(true);
    await expect(s.ping()).resolves.toBe(true);
  });

  it('answers false when nothing listens (within the test timeout)', async () => {
    const s = make(`redis://127.0.0.1:${await freePort()}`);
    await expect(s.ping()).resolves.toBe(false);
  });

  it('answers false when the peer accepts but never answers (within the test timeout)', async () => {
    const peer = await silentPeer();
    try {
      const s = make(`redis://127.0.0.1:${peer.port}`);
      await expect(s.ping()).resolves.toBe(false);
    } finally {
      await peer.close();
    }
  });
});
