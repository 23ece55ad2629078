import IORedis from 'ioredis';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HandledEvent } from '../../src/modules/queue/handled-event.entity';
import { OutboxEvent } from '../../src/modules/queue/outbox-event.entity';
import { OutboxDispatcher } from '../../src/modules/queue/outbox.dispatcher';
import { DOMAIN_EVENTS_QUEUE } from '../../src/modules/queue/queue.constants';
import { QueueService } from '../../src/modules/queue/queue.service';
import { findRedisServerBinary, pingRedis, PrivateRedis, startPrivateRedis } from '../../src/modules/queue/redis-server';
import { createOrganization, workerRegistration } from '../factories/identity.factory';
import { bearer, createTestApp, TestApp } from '../utils/create-test-app';

// jest ignores the e2e project's testTimeout in jest.config.js (a global-only option): set it here.
jest.setTimeout(60_000);

/** Polls `probe` until it returns a value other than undefined; fails after `timeoutMs`. */
async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 15_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// This file stops and restarts a Redis: always its own redis-server on a spare port, never the shared one on 6379.
if (!findRedisServerBinary()) throw new Error('outbox-outage e2e needs redis-server on PATH (apt-get install redis-server)');

/** A queue this process has not used before the outage (a feature queue first used by a worker process, say). */
const FRESH_QUEUE = 'outage-probe';
const REFUSED_JOB_ID = 'refused-during-outage';

// First in the file: a force-closed BullMQ worker leaves its blocking-read watchdog timer (≤ 6 s) behind,
// which runs out while the outage scenario below runs instead of holding jest open at the end.
describe('shutdown while Redis is down (private redis-server)', () => {
  let dir: string;
  let redis: PrivateRedis;
  let t: TestApp;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shutdown-redis-'));
    redis = await startPrivateRedis({ dir, appendonly: false });
    t = await createTestApp({ workers: true, env: { REDIS_URL: redis.url } });
  });

  afterAll(async () => {
    await t?.dispose();
    await redis?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('closes the app with its workers instead of waiting for Redis for ever', async () => {
    await expect(t.http().post('/api/system/queue-check').set(bearer(await t.adminToken()))).resolves.toHaveProperty('status', 202);
    await redis.stop();
    // A graceful BullMQ close waits for QUIT and for a connection 'end' that never comes while Redis is away.
    let timer: NodeJS.Timeout | undefined;
    const closed = await Promise.race([
      t.close().then(() => 'closed'),
      new Promise((r) => {
        timer = setTimeout(r, 15_000, 'still closing after 15 s');
      }),
    ]).finally(() => clearTimeout(timer));
    expect(closed).toBe('closed');
  });
});

describe('outbox across a Redis outage (private redis-server)', () => {
  let dir: string;
  let redis: PrivateRedis;
  let t: TestApp;
  let admin: string;
  let orgId: string;
  let eventId: string;
  let eventJobId: string;

  const outboxRow = () => t.db.run((m) => m.findOneByOrFail(OutboxEvent, { id: eventId }));
  const handledRows = () => t.db.run((m) => m.find(HandledEvent, { where: { eventId } }));

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outbox-outage-redis-'));
    redis = await startPrivateRedis({ dir, appendonly: false });
    expect(redis.port).not.toBe(6379);
    t = await createTestApp({ workers: true, env: { REDIS_URL: redis.url } });
    expect(t.config.redisUrl).toBe(redis.url);
    admin = await t.adminToken();
    orgId = (await createOrganization(t, admin, { name: '衢州市总工会', level: 'city' })).id;
    const health = await t.http().get('/health');
    expect(health.status).toBe(200);
  });

  afterAll(async () => {
    // The app goes first, while Redis still answers: its workers and producer close their connections
    // instead of leaving ioredis reconnect loops behind.
    await t?.dispose();
    await redis?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('while Redis is down', () => {
    beforeAll(async () => {
      await redis.stop();
      await expect(pingRedis(redis.url, 300)).resolves.toBe(false);
    });

    it('registers a worker (201): the request only writes the outbox and never waits for Redis', async () => {
      const reg = workerRegistration(orgId);
      const res = await t.http().post('/api/auth/register').send(reg);
      expect(res.status).toBe(201);
      const rows = await t.db.run((m) => m.find(OutboxEvent, { where: { type: 'worker.registered' } }));
      const mine = rows.filter((r) => r.payload.userId === res.body.id);
      expect(mine).toHaveLength(1);
      eventId = mine[0].id;
      eventJobId = mine[0].jobId;
      expect(mine[0]).toMatchObject({ queue: DOMAIN_EVENTS_QUEUE, sentAt: null });
      // The new worker can log in: nothing on that path needs Redis either.
      await expect(t.login(reg.username, reg.password)).resolves.toEqual(expect.any(String));
    });

    it('answers a queue check promptly with 503 QUEUE_UNAVAILABLE instead of hanging', async () => {
      const res = await t.http().post('/api/system/queue-check').set(bearer(admin));
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ statusCode: 503, code: 'QUEUE_UNAVAILABLE' });
    });

    it('answers 503 QUEUE_UNAVAILABLE when a job is looked up', async () => {
      const res = await t.http().get('/api/jobs/queue-check-anything').set(bearer(admin));
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ statusCode: 503, code: 'QUEUE_UNAVAILABLE' });
    });

    it('answers /health with 503', async () => {
      const res = await t.http().get('/health');
      expect(res.status).toBe(503);
    });

    it('names Redis as down and the database as up in the 503 /health report', async () => {
      const res = await t.http().get('/health');
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({
        status: 'error',
        info: { database: { status: 'up' } },
        error: { redis: { status: 'down' } },
        details: { database: { status: 'up', pendingOutboxEvents: 1 }, redis: { status: 'down' } },
      });
    });

    it('refuses at once a job for a queue first used during the outage', async () => {
      const started = Date.now();
      await expect(t.app.get(QueueService).add(FRESH_QUEUE, 'probe', { n: 1 }, { jobId: REFUSED_JOB_ID })).rejects.toThrow(/Redis/);
      // Fail-fast, not the 3 s deadline: nothing is left waiting inside BullMQ.
      expect(Date.now() - started).toBeLessThan(2000);
    });

    it('keeps the event unsent and counts the failed delivery attempts with the last error', async () => {
      const failed = await eventually(async () => {
        const row = await outboxRow();
        return row.attempts >= 1 ? row : undefined;
      }, 'a failed delivery attempt');
      expect(failed.sentAt).toBeNull();
      expect(failed.lastError).toEqual(expect.any(String));
      expect(failed.lastError!.length).toBeGreaterThan(0);
      expect(failed.claimToken).toBeNull();
      // Retried with backoff (2 s after the first failure), not at every poll.
      expect(failed.claimedUntil!.getTime() - failed.createdAt.getTime()).toBeGreaterThanOrEqual(1500);

      // An explicit pass while Redis is away delivers nothing.
      await expect(t.app.get(OutboxDispatcher).dispatchOnce()).resolves.toBe(0);
      const later = await eventually(async () => {
        const row = await outboxRow();
        return row.attempts > failed.attempts ? row : undefined;
      }, 'a second failed attempt after the backoff');
      expect(later.sentAt).toBeNull();
      expect(later.lastError).toEqual(expect.any(String));
      await expect(handledRows()).resolves.toEqual([]);
    });
  });

  describe('after Redis comes back on the same port', () => {
    beforeAll(async () => {
      const port = redis.port;
      redis = await startPrivateRedis({ dir, port, appendonly: false });
      expect(redis.port).toBe(port);
    });

    it('delivers the event written during the outage, exactly once', async () => {
      const sent = await eventually(async () => {
        const row = await outboxRow();
        return row.sentAt ? row : undefined;
      }, 'the event to be sent', 45_000, 200);
      expect(sent).toMatchObject({ lastError: null, claimToken: null });
      expect(sent.attempts).toBeGreaterThanOrEqual(3);

      const handled = await eventually(async () => {
        const rows = await handledRows();
        return rows.length ? rows : undefined;
      }, 'the worker to handle the event');
      expect(handled).toEqual([expect.objectContaining({ eventId, type: 'worker.registered', deliveries: 1 })]);

      // Another pass finds nothing to send; the worker does not see the event again.
      await expect(t.app.get(OutboxDispatcher).dispatchOnce()).resolves.toBe(0);
      await new Promise((r) => setTimeout(r, 500));
      await expect(handledRows()).resolves.toEqual([expect.objectContaining({ deliveries: 1 })]);

      // The new (empty) Redis holds exactly one job, the event's, and it completed.
      const queue = t.app.get(QueueService).queue(DOMAIN_EVENTS_QUEUE);
      const jobs = await queue.getJobs(['completed', 'failed', 'active', 'waiting', 'delayed', 'prioritized']);
      expect(jobs.map((j) => j.id)).toEqual([eventJobId]);
      await expect(queue.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed')).resolves.toEqual({ completed: 1, failed: 0, waiting: 0, active: 0, delayed: 0 });
      await expect(jobs[0].getState()).resolves.toBe('completed');

      // Redis' own record: the job was added once and no duplicate add was attempted.
      const r = new IORedis(redis.url, { maxRetriesPerRequest: 1 });
      try {
        const entries = await r.xrange(`${t.config.queuePrefix}:${DOMAIN_EVENTS_QUEUE}:events`, '-', '+');
        const events = entries.map(([, f]) => `${f[1]} ${f[3]}`);
        expect(events.filter((e) => e.startsWith('added '))).toEqual([`added ${eventJobId}`]);
        expect(events.filter((e) => e.startsWith('duplicated '))).toEqual([]);
      } finally {
        r.disconnect();
      }
    });

    it('does not add, behind the caller\'s back, a job it refused during the outage', async () => {
      const queues = t.app.get(QueueService);
      await eventually(async () => ((await queues.ping()) ? true : undefined), 'the producer connection to be back');
      await new Promise((r) => setTimeout(r, 500));
      await expect(queues.queue(FRESH_QUEUE).getJob(REFUSED_JOB_ID)).resolves.toBeUndefined();
      await expect(queues.queue(FRESH_QUEUE).getJobCounts('waiting', 'active', 'completed', 'failed')).resolves.toEqual({ waiting: 0, active: 0, completed: 0, failed: 0 });
    });

    it('answers /health with 200 again', async () => {
      const body = await eventually(async () => {
        const res = await t.http().get('/health');
        return res.status === 200 ? res.body : undefined;
      }, '/health to answer 200');
      expect(body).toMatchObject({ status: 'ok', details: { database: { status: 'up', pendingOutboxEvents: 0 }, redis: { status: 'up' } } });
    });

    it('runs a queue check from the API through the worker again', async () => {
      const res = await t.http().post('/api/system/queue-check').set(bearer(admin));
      expect(res.status).toBe(202);
      const job = await eventually(async () => {
        const r = await t.http().get(`/api/jobs/${res.body.jobId}`).set(bearer(admin));
        return r.body.state === 'completed' ? r.body : undefined;
      }, 'the queue check to complete');
      expect(job).toMatchObject({ progress: 100, result: { ok: true } });
    });
  });
});
