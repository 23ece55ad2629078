import IORedis from 'ioredis';
import { In } from 'typeorm';
import { HandledEvent } from '../../src/modules/queue/handled-event.entity';
import { OutboxEvent } from '../../src/modules/queue/outbox-event.entity';
import { OutboxDispatcher } from '../../src/modules/queue/outbox.dispatcher';
import { OutboxService } from '../../src/modules/queue/outbox.service';
import { DOMAIN_EVENTS_QUEUE, SYSTEM_QUEUE } from '../../src/modules/queue/queue.constants';
import { QueueService } from '../../src/modules/queue/queue.service';
import { createOrganization, workerRegistration } from '../factories/identity.factory';
import { bearer, createTestApp, randomUUID, TestApp } from '../utils/create-test-app';

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

const FINISHED = ['completed', 'failed'];

describe('queue: API → BullMQ → worker, and the outbox dispatcher', () => {
  let t: TestApp;
  let admin: string;
  let orgId: string;

  beforeAll(async () => {
    t = await createTestApp({ workers: true });
    admin = await t.adminToken();
    orgId = (await createOrganization(t, admin, { name: '衢州市总工会', level: 'city' })).id;
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await t?.dispose();
  });

  /** GET /api/jobs/:id until the job is finished. */
  const finishedJob = (id: string, token = admin) =>
    eventually(async () => {
      const res = await t.http().get(`/api/jobs/${id}`).set(bearer(token));
      expect(res.status).toBe(200);
      return FINISHED.includes(res.body.state) ? res.body : undefined;
    }, `job ${id} to finish`);

  async function registerWorker(): Promise<{ userId: string; token: string }> {
    const reg = workerRegistration(orgId);
    const res = await t.http().post('/api/auth/register').send(reg);
    expect(res.status).toBe(201);
    return { userId: res.body.id, token: await t.login(reg.username, reg.password) };
  }

  const outboxRowsFor = (userId: string) =>
    t.db.run(async (m) => (await m.find(OutboxEvent, { where: { type: 'worker.registered' } })).filter((e) => e.payload.userId === userId));

  describe('a job produced by the API is consumed by the worker', () => {
    it('runs an admin queue check to completion and shows its state, progress and result to the admin', async () => {
      const res = await t.http().post('/api/system/queue-check').set(bearer(admin));
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ jobId: expect.stringMatching(/^queue-check-[A-Za-z0-9_-]+$/) });

      const job = await finishedJob(res.body.jobId);
      expect(job).toMatchObject({
        id: res.body.jobId,
        queue: SYSTEM_QUEUE,
        name: 'queue-check',
        state: 'completed',
        progress: 100,
        failedReason: null,
        result: { ok: true, workerPid: process.pid },
      });
      expect(Date.parse(job.result.processedAt)).toBeGreaterThanOrEqual(Date.parse(job.result.requestedAt));
    });

    it('hides a job from a user who did not start it (404), and answers 404 for an unknown id and 400 for a malformed one', async () => {
      const check = await t.http().post('/api/system/queue-check').set(bearer(admin));
      expect(check.status).toBe(202);
      const { token: workerToken } = await registerWorker();

      const other = await t.http().get(`/api/jobs/${check.body.jobId}`).set(bearer(workerToken));
      expect(other.status).toBe(404);
      expect(other.body).toMatchObject({ statusCode: 404, code: 'JOB_NOT_FOUND' });

      const unknown = await t.http().get(`/api/jobs/queue-check-${randomUUID()}`).set(bearer(admin));
      expect(unknown.status).toBe(404);
      expect(unknown.body).toMatchObject({ statusCode: 404, code: 'JOB_NOT_FOUND' });

      for (const bad of ['bad:id', 'has%20space', 'x'.repeat(201)]) {
        const malformed = await t.http().get(`/api/jobs/${bad}`).set(bearer(admin));
        expect(malformed.status).toBe(400);
        expect(malformed.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
      }

      const anonymous = await t.http().get(`/api/jobs/${check.body.jobId}`);
      expect(anonymous.status).toBe(401);
    });

    it('never reports a job as completed without its result, however fast it is polled', async () => {
      const inconsistent: unknown[] = [];
      let completedSeen = 0;
      const pollUntilFinished = async (id: string) => {
        for (const deadline = Date.now() + 15_000; Date.now() < deadline; ) {
          const res = await t.http().get(`/api/jobs/${id}`).set(bearer(admin));
          expect(res.status).toBe(200);
          if (res.body.state === 'completed') {
            completedSeen++;
            if (res.body.result?.ok !== true || res.body.progress !== 100) inconsistent.push(res.body);
            return;
          }
        }
        throw new Error(`job ${id} did not complete`);
      };
      for (let round = 0; round < 25; round++) {
        const res = await t.http().post('/api/system/queue-check').set(bearer(admin));
        expect(res.status).toBe(202);
        // Several clients poll the same job back to back, to catch it in the middle of finishing.
        await Promise.all(Array.from({ length: 4 }, () => pollUntilFinished(res.body.jobId)));
      }
      expect(completedSeen).toBe(100);
      expect(inconsistent).toEqual([]);
    });

    it('refuses the queue check to a non-admin (403)', async () => {
      const { token } = await registerWorker();
      const res = await t.http().post('/api/system/queue-check').set(bearer(token));
      expect(res.status).toBe(403);
    });

    it('gives every queue check its own job even when the client repeats or garbles its X-Request-Id', async () => {
      const first = await t.http().post('/api/system/queue-check').set(bearer(admin)).set('X-Request-Id', 'same-request-id');
      const second = await t.http().post('/api/system/queue-check').set(bearer(admin)).set('X-Request-Id', 'same-request-id');
      const colon = await t.http().post('/api/system/queue-check').set(bearer(admin)).set('X-Request-Id', 'trace:with:colons');
      for (const res of [first, second, colon]) expect(res.status).toBe(202);
      expect(new Set([first.body.jobId, second.body.jobId, colon.body.jobId]).size).toBe(3);

      const jobs = await Promise.all([first, second, colon].map((r) => finishedJob(r.body.jobId)));
      for (const job of jobs) expect(job).toMatchObject({ state: 'completed', progress: 100, result: { ok: true } });
      // A second check that reused the first one's job would report the first one's result.
      expect(jobs[1].result.requestedAt).not.toBe(jobs[0].result.requestedAt);
    });

    it('retries a failing job with backoff and shows the final failure with its reason', async () => {
      const queues = t.app.get(QueueService);
      // No handler claims this job name, so every attempt fails.
      const quick = await queues.add(SYSTEM_QUEUE, 'no-such-job', { ownerId: 'nobody' }, { jobId: `failing-${randomUUID()}`, attempts: 3, backoff: { type: 'fixed', delay: 50 } });
      const failed = await finishedJob(quick.id!);
      expect(failed).toMatchObject({ state: 'failed', attemptsMade: 3, failedReason: 'no handler for job system/no-such-job', result: null });

      // With the default job options a failure is not final: the job waits (delayed) for its next attempt.
      const standard = await queues.add(SYSTEM_QUEUE, 'no-such-job', { ownerId: 'nobody' }, { jobId: `failing-${randomUUID()}` });
      expect(standard.opts.attempts).toBe(5);
      const retrying = await eventually(async () => {
        const found = await queues.findJobWithState(standard.id!);
        // Settled states only: the state is read before the job, so 'active' may go with the data of a failed attempt.
        const settled = found && found.job.attemptsMade >= 1 && ['delayed', 'failed', 'completed'].includes(found.state);
        return settled ? { state: found.state, attemptsMade: found.job.attemptsMade, failedReason: found.job.failedReason } : undefined;
      }, 'the first attempt to fail');
      expect(retrying).toEqual({ state: 'delayed', attemptsMade: expect.any(Number), failedReason: 'no handler for job system/no-such-job' });
      expect(retrying.attemptsMade).toBeLessThan(5);
      await queues.queue(SYSTEM_QUEUE).remove(standard.id!);
    });
  });

  describe('domain events from the outbox reach the worker exactly once', () => {
    it('delivers the worker.registered event of a registration once, and a second dispatch does not deliver it again', async () => {
      const { userId } = await registerWorker();
      const rows = await outboxRowsFor(userId);
      expect(rows).toHaveLength(1);
      const event = rows[0];
      expect(event).toMatchObject({ queue: DOMAIN_EVENTS_QUEUE, jobId: `event-${event.id}` });

      const sent = await eventually(async () => {
        const row = await t.db.run((m) => m.findOneByOrFail(OutboxEvent, { id: event.id }));
        return row.sentAt ? row : undefined;
      }, 'the event to be marked sent');
      expect(sent).toMatchObject({ attempts: 1, lastError: null, claimToken: null });

      const handled = await eventually(() => t.db.run((m) => m.find(HandledEvent, { where: { eventId: event.id } })).then((r) => (r.length ? r : undefined)), 'the worker to handle the event');
      expect(handled).toEqual([expect.objectContaining({ eventId: event.id, type: 'worker.registered', deliveries: 1 })]);

      const job = await t.app.get(QueueService).queue(DOMAIN_EVENTS_QUEUE).getJob(event.jobId);
      expect(job?.data).toEqual({ workerId: event.payload.workerId, userId, eventId: event.id, eventType: 'worker.registered' });
      await eventually(async () => ((await job!.getState()) === 'completed' ? true : undefined), 'the event job to complete');

      await expect(t.app.get(OutboxDispatcher).dispatchOnce()).resolves.toBe(0);
      // Give a (wrongly) re-added job time to be processed before looking again.
      await new Promise((r) => setTimeout(r, 500));
      const after = await t.db.run((m) => m.find(HandledEvent, { where: { eventId: event.id } }));
      expect(after).toEqual([expect.objectContaining({ deliveries: 1 })]);
      await expect(t.db.run((m) => m.findOneByOrFail(OutboxEvent, { id: event.id }))).resolves.toMatchObject({ attempts: 1, sentAt: sent.sentAt });
    });

    it('adds each event to BullMQ once when several dispatchers run at the same time', async () => {
      const queues = t.app.get(QueueService);
      const dispatcher = t.app.get(OutboxDispatcher);
      const outbox = t.app.get(OutboxService);
      // A batch goes to BullMQ as one pipeline per queue (addBulk); single adds remain for the per-event fallback.
      const addSpy = jest.spyOn(queues, 'add');
      const bulkSpy = jest.spyOn(queues, 'addBulk');

      // More than one claim batch (100), so that concurrent dispatchers have to share the work.
      const N = 130;
      const ids = await t.db.transaction(async (m) => {
        const out: string[] = [];
        for (let i = 0; i < N; i++) {
          const ev = await outbox.add(m, { type: 'test.concurrent', queue: DOMAIN_EVENTS_QUEUE, payload: { n: i } });
          out.push(ev.id);
        }
        return out;
      });
      const jobIds = ids.map((id) => `event-${id}`);

      // Six explicit passes in parallel, racing the dispatcher's own poll.
      const delivered = await Promise.all(Array.from({ length: 6 }, () => dispatcher.dispatchOnce()));
      await eventually(async () => ((await dispatcher.pending()) === 0 ? true : undefined), 'every event to be sent');
      expect(delivered.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(N);

      const addsPerJob = new Map<string, number>();
      const count = (jobId: unknown) => {
        const id = String(jobId);
        if (jobIds.includes(id)) addsPerJob.set(id, (addsPerJob.get(id) ?? 0) + 1);
      };
      for (const [, , , opts] of addSpy.mock.calls) count(opts?.jobId);
      for (const [, jobs] of bulkSpy.mock.calls) for (const j of jobs) count(j.opts?.jobId);
      expect(bulkSpy).toHaveBeenCalled();
      expect(addsPerJob.size).toBe(N);
      expect([...addsPerJob.values()].every((n) => n === 1)).toBe(true);
      addSpy.mockRestore();
      bulkSpy.mockRestore();

      // Redis' own record: one 'added' event per job id and no duplicate add was attempted.
      const redis = new IORedis(t.config.redisUrl, { maxRetriesPerRequest: 1 });
      try {
        const entries = await redis.xrange(`${t.config.queuePrefix}:${DOMAIN_EVENTS_QUEUE}:events`, '-', '+');
        const fields = entries.map(([, f]) => Object.fromEntries(Array.from({ length: f.length / 2 }, (_, i) => [f[2 * i], f[2 * i + 1]])));
        const mine = fields.filter((f) => jobIds.includes(f.jobId));
        expect(mine.filter((f) => f.event === 'added')).toHaveLength(N);
        expect(mine.filter((f) => f.event === 'duplicated')).toHaveLength(0);
      } finally {
        redis.disconnect();
      }

      const handled = await eventually(async () => {
        const rows = await t.db.run((m) => m.find(HandledEvent, { where: { eventId: In(ids) } }));
        return rows.length === N ? rows : undefined;
      }, `${N} handled events`);
      expect(handled.every((h) => h.deliveries === 1 && h.type === 'test.concurrent')).toBe(true);

      const jobs = await queues.queue(DOMAIN_EVENTS_QUEUE).getJobs(['completed', 'failed', 'active', 'waiting', 'delayed', 'prioritized']);
      const ours = jobs.filter((j) => jobIds.includes(j.id!));
      expect(ours).toHaveLength(N);
      expect(new Set(ours.map((j) => j.id)).size).toBe(N);
      const counts = await queues.queue(DOMAIN_EVENTS_QUEUE).getJobCounts('failed', 'waiting', 'active', 'delayed');
      expect(counts).toEqual({ failed: 0, waiting: 0, active: 0, delayed: 0 });

      const rows = await t.db.run((m) => m.find(OutboxEvent, { where: { id: In(ids) } }));
      expect(rows.every((r) => r.sentAt !== null && r.attempts === 1 && r.claimToken === null)).toBe(true);
    });
  });
});
