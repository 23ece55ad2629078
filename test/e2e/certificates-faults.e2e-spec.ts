/**
 * Certificates under faults, on SQLite or (DATABASE_URL) PostgreSQL:
 *  a. a worker process (src/worker.ts) SIGKILLed in the middle of a batch of 200 certificates: after a new
 *     worker starts, all 200 are ready, each with its own serial and file, and nothing was issued twice;
 *  b. Redis stopped while a competition is finalized: the finalize succeeds (awards, certificates and outbox
 *     rows need only the database), the certificates wait as queued, and once Redis is back every one is
 *     rendered by exactly one job.
 * Fault tests stop only what they started: a child worker process and a private redis-server on a spare port,
 * never the machine's shared Redis.
 */
import IORedis from 'ioredis';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Award } from '../../src/modules/awards/award.entity';
import { Certificate, CertificateSerialCounter } from '../../src/modules/certificates/certificate.entity';
import { CERTIFICATES_QUEUE } from '../../src/modules/certificates/certificates.queue';
import { FILE_STORE, FileStore } from '../../src/modules/files/file-store';
import { OutboxEvent } from '../../src/modules/queue/outbox-event.entity';
import { QueueService } from '../../src/modules/queue/queue.service';
import { findRedisServerBinary, pingRedis, PrivateRedis, startPrivateRedis } from '../../src/modules/queue/redis-server';
import { downloadCertificate, Progress, waitForProgress } from '../factories/certificates.factory';
import { createOrgTree, createUser } from '../factories/identity.factory';
import { ChildRun, eventually, killHard, launchWorker, ManyEntriesContest, must, publishedManyEntries, sharedEnv, sleep } from '../factories/lifecycle.factory';
import { bearer, createTestApp, TestApp } from '../utils/create-test-app';
import { createHash } from 'node:crypto';

jest.setTimeout(240_000);

if (!findRedisServerBinary()) throw new Error('certificates-faults e2e needs redis-server on PATH (apt-get install redis-server)');

const DB = process.env.DATABASE_URL ? 'PostgreSQL' : 'SQLite';

/** Every certificate job id of a queue, whatever its state. */
async function certificateJobIds(t: TestApp): Promise<string[]> {
  const q = t.app.get(QueueService).queue(CERTIFICATES_QUEUE);
  const jobs = await q.getJobs(['completed', 'failed', 'active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);
  return jobs.map((j) => j.id!).sort();
}

/** `added`/`duplicated` entries of the queue's event stream, as "<event> <jobId>". */
async function queueEvents(url: string, prefix: string): Promise<string[]> {
  const r = new IORedis(url, { maxRetriesPerRequest: 1 });
  try {
    const entries = await r.xrange(`${prefix}:${CERTIFICATES_QUEUE}:events`, '-', '+');
    return entries.map(([, f]) => {
      const o: Record<string, string> = {};
      for (let i = 0; i < f.length; i += 2) o[f[i]] = f[i + 1];
      return `${o.event} ${o.jobId}`;
    });
  } finally {
    r.disconnect();
  }
}

const finalizeForced = (t: TestApp, admin: string, id: string) => t.http().post(`/api/competitions/${id}/transitions`).set(bearer(admin)).send({ to: 'finalized', force: true });

describe(`a certificate worker SIGKILLed mid-batch of 200 (${DB}, worker as a child process)`, () => {
  const N = 200;
  let t: TestApp;
  let admin: string;
  let organizer: { id: string; token: string };
  let c: ManyEntriesContest;
  const children: ChildRun[] = [];

  let seededMs = 0;

  beforeAll(async () => {
    const started = Date.now();
    // The API in this process, without workers: every certificate is rendered by the child workers.
    t = await createTestApp({ workers: false });
    admin = await t.adminToken();
    const orgs = await createOrgTree(t);
    organizer = await createUser(t, admin, { roles: ['organizer'], organizationId: orgs.city.id });
    c = await publishedManyEntries(t, organizer.token, {
      organizationId: orgs.city.id,
      employerOrgId: orgs.enterprise.id,
      judgeOrgId: orgs.city.id,
      n: N,
      awardRules: [{ fromRank: 1, toRank: N, award: 'technical_expert' }],
    });
    seededMs = Date.now() - started;
  }, 240_000);

  afterAll(async () => {
    for (const run of children) await killHard(run);
    await t?.dispose();
  });

  it('leaves all 200 ready after a new worker starts, each with one serial, one file and one job; nothing issued twice', async () => {
    // Short BullMQ lock/stall intervals for the children, once WorkerHost reads them (see the report);
    // until then BullMQ's defaults (lock 30 s, stalled check every 30 s) apply and the wait below covers them.
    const env = sharedEnv(t, { CERT_WORKER_CONCURRENCY: '4', QUEUE_LOCK_DURATION_MS: '10000', QUEUE_STALLED_INTERVAL_MS: '2000' });
    const first = launchWorker(env);
    children.push(first);

    const res = await finalizeForced(t, admin, c.id);
    expect(res.status).toBe(200);
    const awards = await t.db.run((m) => m.find(Award, { where: { competitionId: c.id } }));
    expect(awards).toHaveLength(N);
    const issued = await t.db.run((m) => m.find(Certificate, { where: { competitionId: c.id } }));
    expect(issued).toHaveLength(N);
    const serialAtIssue = new Map(issued.map((x) => [x.id, x.serial]));

    // Some, not all, rendered: then the worker dies without a chance to clean up.
    const finalizedAt = Date.now();
    const before = await waitForProgress(t, organizer.token, c.id, (p) => p.ready >= 10, 120_000).catch((e: Error) => {
      throw new Error(`${e.message}\nworker stderr:\n${first.stderr()}\nstdout:\n${first.stdout()}`);
    });
    first.proc.kill('SIGKILL');
    const killedAt = Date.now();
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const atKill = (await waitForProgress(t, organizer.token, c.id, () => true)) as Progress;
    const renderingAtKill = (await t.db.run((m) => m.find(Certificate, { where: { competitionId: c.id, status: 'rendering' } }))).map((x) => x.id);
    expect(before.ready).toBeGreaterThanOrEqual(10);
    if (atKill.ready >= N) throw new Error(`the worker finished all ${N} certificates before it was killed: the test proves nothing (${JSON.stringify(atKill)})`);
    // Nothing moves while no worker runs.
    await sleep(1000);
    expect((await waitForProgress(t, organizer.token, c.id, () => true)).ready).toBe(atKill.ready);

    const firstRan = killedAt - finalizedAt;
    const second = launchWorker(env);
    children.push(second);
    let restDoneAt = 0; // when everything but the certificates caught mid-render was ready
    const trace: string[] = [];
    let traced = 0;
    const done = await waitForProgress(t, organizer.token, c.id, (p) => {
      restDoneAt ||= p.ready >= N - renderingAtKill.length ? Date.now() : 0;
      if (Date.now() - traced >= 5000) {
        traced = Date.now();
        trace.push(`${Math.round((traced - killedAt) / 1000)}s:${p.ready}/${p.rendering}`);
      }
      return p.ready + p.failed === N;
    }, 180_000).catch((e: Error) => {
      throw new Error(`${e.message}\nsecond worker stderr:\n${second.stderr()}\nstdout:\n${second.stdout()}`);
    });
    expect(done).toEqual({ total: N, queued: 0, rendering: 0, ready: N, failed: 0, revoked: 0 });
    console.log(
      `[certificates-faults] ${DB}: ${N} entries seeded through the API in ${seededMs} ms; killed ${firstRan} ms after finalize at ${atKill.ready} ready, ${renderingAtKill.length} rendering; ` +
        `the rest ready ${restDoneAt - killedAt} ms and all ${N} ready ${Date.now() - killedAt} ms after the kill (BullMQ redelivers the killed worker's jobs once their lock expired and a stalled-job check ran); ready/rendering: ${trace.join(' ')}`,
    );

    // Exactly 200 rows: one per award, each with the serial given at issue, its own file and hash.
    const certs = await t.db.run((m) => m.find(Certificate, { where: { competitionId: c.id } }));
    expect(certs).toHaveLength(N);
    expect(new Set(certs.map((x) => x.awardId))).toEqual(new Set(awards.map((a) => a.id)));
    expect(new Set(certs.map((x) => x.serial)).size).toBe(N);
    for (const x of certs) expect(x.serial).toBe(serialAtIssue.get(x.id));
    expect(new Set(certs.map((x) => x.fileKey)).size).toBe(N);
    expect(new Set(certs.map((x) => x.sha256)).size).toBe(N);
    expect(new Set(certs.map((x) => x.verificationCode)).size).toBe(N);
    // The serial counter moved by 200, once: no serial was allocated by a re-rendering.
    const counters = await t.db.run((m) => m.find(CertificateSerialCounter));
    expect(counters.reduce((s, k) => s + Number(k.last), 0)).toBe(N);
    // Certificates caught mid-render were rendered again (a second attempt), under the same serial.
    for (const id of renderingAtKill) expect(certs.find((x) => x.id === id)!.attempts).toBeGreaterThanOrEqual(2);

    // The stored files are the ones the rows describe: 200 files, each with its row's sha256.
    const files = t.app.get<FileStore>(FILE_STORE);
    for (const x of certs) {
      const pdf = await files.get(x.fileKey!);
      expect(createHash('sha256').update(pdf).digest('hex')).toBe(x.sha256);
    }
    const dir = path.join(t.config.varDir, 'files', 'certificates');
    if (fs.existsSync(dir)) expect(fs.readdirSync(dir).filter((f) => f.endsWith('.pdf'))).toHaveLength(N);

    // One job per award, all completed (the killed worker's jobs came back as stalled, not as copies).
    const ids = await certificateJobIds(t);
    expect(ids).toEqual(awards.map((a) => `certificate-${a.id}`).sort());
    const counts = await t.app.get(QueueService).queue(CERTIFICATES_QUEUE).getJobCounts('completed', 'failed', 'active', 'waiting', 'delayed');
    expect(counts).toEqual({ completed: N, failed: 0, active: 0, waiting: 0, delayed: 0 });

    // A re-rendered certificate downloads as its stored file.
    const sample = certs.find((x) => renderingAtKill.includes(x.id)) ?? certs[0];
    const pdf = (await downloadCertificate(t, sample.awardId, organizer.token)).body as Buffer;
    expect(createHash('sha256').update(pdf).digest('hex')).toBe(sample.sha256);

    second.proc.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
  });
});

describe(`Redis stopped during finalize (${DB}, private redis-server)`, () => {
  const N = 12;
  let dir: string;
  let redis: PrivateRedis;
  let t: TestApp;
  let admin: string;
  let organizer: { id: string; token: string };
  let c: ManyEntriesContest;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cert-faults-redis-'));
    redis = await startPrivateRedis({ dir, appendonly: true });
    expect(redis.port).not.toBe(6379);
    t = await createTestApp({ workers: true, env: { REDIS_URL: redis.url } });
    admin = await t.adminToken();
    const orgs = await createOrgTree(t);
    organizer = await createUser(t, admin, { roles: ['organizer'], organizationId: orgs.city.id });
    c = await publishedManyEntries(t, organizer.token, {
      organizationId: orgs.city.id,
      employerOrgId: orgs.enterprise.id,
      judgeOrgId: orgs.city.id,
      n: N,
      awardRules: [
        { fromRank: 1, toRank: 1, award: 'may_day_medal' },
        { fromRank: 1, toRank: N, award: 'technical_expert' },
      ],
    });
  }, 120_000);

  afterAll(async () => {
    // The app goes first, while Redis answers, so its workers close cleanly.
    await t?.dispose();
    await redis?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('finalizes without Redis, keeps the certificates queued, and renders each exactly once when Redis is back', async () => {
    await redis.stop();
    expect(await pingRedis(redis.url, 300)).toBe(false);

    const res = await finalizeForced(t, admin, c.id);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('finalized');
    const awards = await t.db.run((m) => m.find(Award, { where: { competitionId: c.id } }));
    expect(awards).toHaveLength(N + 1);
    const jobIds = awards.map((a) => `certificate-${a.id}`).sort();
    const outbox = async () => (await t.db.run((m) => m.find(OutboxEvent, { where: { queue: CERTIFICATES_QUEUE } }))).filter((e) => jobIds.includes(e.jobId));
    expect((await outbox()).map((e) => e.jobId).sort()).toEqual(jobIds);

    // The dispatcher tries, fails, backs off; the certificates stay queued.
    await eventually(async () => ((await outbox()).every((e) => e.attempts >= 1) ? true : undefined), 'a failed delivery attempt of every event', 30_000);
    const waiting = await must<Progress>(t.http().get(`/api/competitions/${c.id}/certificates/progress`).set(bearer(organizer.token)), 'progress');
    expect(waiting).toEqual({ total: N + 1, queued: N + 1, rendering: 0, ready: 0, failed: 0, revoked: 0 });
    expect((await outbox()).every((e) => e.sentAt === null)).toBe(true);

    // Redis comes back on the same port with the same data directory.
    const port = redis.port;
    redis = await startPrivateRedis({ dir, port, appendonly: true });
    expect(redis.port).toBe(port);

    const done = await waitForProgress(t, organizer.token, c.id, (p) => p.ready + p.failed === N + 1, 90_000);
    expect(done).toEqual({ total: N + 1, queued: 0, rendering: 0, ready: N + 1, failed: 0, revoked: 0 });
    const certs = await t.db.run((m) => m.find(Certificate, { where: { competitionId: c.id } }));
    expect(certs).toHaveLength(N + 1);
    expect(new Set(certs.map((x) => x.serial)).size).toBe(N + 1);
    for (const x of certs) expect(x.attempts).toBe(1);
    expect((await outbox()).every((e) => e.sentAt !== null)).toBe(true);

    // One job per award, added once, none refused as a duplicate.
    expect(await certificateJobIds(t)).toEqual(jobIds);
    const events = await queueEvents(redis.url, t.config.queuePrefix);
    expect(events.filter((e) => e.startsWith('added ')).sort()).toEqual(jobIds.map((id) => `added ${id}`));
    expect(events.filter((e) => e.startsWith('duplicated '))).toEqual([]);
    const counts = await t.app.get(QueueService).queue(CERTIFICATES_QUEUE).getJobCounts('completed', 'failed', 'active', 'waiting', 'delayed');
    expect(counts).toEqual({ completed: N + 1, failed: 0, active: 0, waiting: 0, delayed: 0 });
  });
});
