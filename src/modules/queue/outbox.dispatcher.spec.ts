import { DataSource } from 'typeorm';
import type { AppConfig } from '../../config/app-config';
import { Db } from '../../database/db.service';
import { SnakeNamingStrategy } from '../../database/snake-naming.strategy';
import { AuditEntry } from '../audit/audit-entry.entity';
import { AuditService } from '../audit/audit.service';
import { OutboxEvent } from './outbox-event.entity';
import { OutboxDispatcher } from './outbox.dispatcher';
import { NewOutboxEvent, OutboxService } from './outbox.service';
import type { QueueService } from './queue.service';

/** An in-memory SQLite with the two tables (synchronized from the entities, as the migrations make them). */
async function database(): Promise<{ ds: DataSource; db: Db }> {
  const ds = new DataSource({ type: 'better-sqlite3', database: ':memory:', entities: [OutboxEvent, AuditEntry], synchronize: true, namingStrategy: new SnakeNamingStrategy(), logging: false });
  await ds.initialize();
  // Db's SQLite transactions take the write lock first with a no-op UPDATE of this table.
  await ds.query('CREATE TABLE migrations (id integer PRIMARY KEY)');
  const db = new Db(ds, { database: { kind: 'sqlite' } } as AppConfig);
  return { ds, db };
}

type AddCall = { queue: string; name: string; data: Record<string, unknown>; jobId?: string };
type Job = { name: string; data: Record<string, unknown>; opts?: { jobId?: string } };

/**
 * A QueueService stand-in: records adds, one by one (add) and by pipeline (addBulk, which fails as a whole when
 * `failBulk` says so); `fail` decides which single adds throw.
 */
function fakeQueues(fail: (call: AddCall, n: number) => boolean, failBulk: (queue: string) => boolean = () => false) {
  const calls: AddCall[] = [];
  const bulks: Array<{ queue: string; n: number }> = [];
  const queues = {
    add: jest.fn((queue: string, name: string, data: Record<string, unknown>, opts: { jobId?: string } = {}) => {
      const call = { queue, name, data, jobId: opts.jobId };
      calls.push(call);
      return fail(call, calls.length) ? Promise.reject(new Error('Redis is not connected (end)')) : Promise.resolve({ id: opts.jobId });
    }),
    addBulk: jest.fn((queue: string, jobs: Job[]) => {
      bulks.push({ queue, n: jobs.length });
      if (failBulk(queue)) return Promise.reject(new Error('Redis is not connected (end)'));
      for (const j of jobs) calls.push({ queue, name: j.name, data: j.data, jobId: j.opts?.jobId });
      return Promise.resolve(jobs.map((j) => ({ id: j.opts?.jobId })));
    }),
  };
  return { queues: queues as unknown as QueueService, calls, bulks };
}

const events = (n: number): NewOutboxEvent[] => Array.from({ length: n }, (_, i) => ({ type: 'test.event', queue: i % 2 ? 'a' : 'b', payload: { n: i }, ...(i % 3 === 0 ? { jobId: `job-${i}` } : {}) }));
const comparable = (e: OutboxEvent) => ({ type: e.type, queue: e.queue, payload: e.payload, attempts: e.attempts, lastError: e.lastError, claimToken: e.claimToken, claimedUntil: e.claimedUntil, sentAt: e.sentAt });

describe('OutboxService.addMany', () => {
  it('writes the rows add() writes, in chunks, with job ids of their own or event-<id>', async () => {
    const { ds, db } = await database();
    const outbox = new OutboxService();
    const list = events(250);
    const one = await db.transaction(async (m) => Promise.all([outbox.add(m, { ...list[0], jobId: 'single-0' }), outbox.add(m, list[1])]));
    const many = await db.transaction((m) => outbox.addMany(m, list));
    expect(many).toHaveLength(250);
    const rows = await ds.manager.find(OutboxEvent);
    expect(rows).toHaveLength(252);
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const [i, e] of many.entries()) {
      const row = byId.get(e.id)!;
      expect(row.jobId).toBe(list[i].jobId ?? `event-${e.id}`);
      expect(row.createdAt).toBeInstanceOf(Date);
    }
    // The same columns as a single add() of the same event.
    expect(comparable(byId.get(many[0].id)!)).toEqual(comparable(byId.get(one[0].id)!));
    expect(comparable(byId.get(many[1].id)!)).toEqual(comparable(byId.get(one[1].id)!));
    await ds.destroy();
  });
});

describe('AuditService.recordMany', () => {
  it('writes the entries record() writes, in chunks', async () => {
    const { ds, db } = await database();
    const audit = new AuditService(db);
    const records = Array.from({ length: 230 }, (_, i) => ({ actorId: 'u1', action: 'award.issue', entityType: 'award', entityId: `a${i}`, after: { n: i, name: '李明' } }));
    await db.transaction((m) => audit.record(m, { ...records[0], entityId: 'single' }));
    await db.transaction((m) => audit.recordMany(m, records));
    await db.transaction((m) => audit.recordMany(m, []));
    expect(await ds.manager.count(AuditEntry)).toBe(231);
    const single = (await audit.forEntity('award', 'single'))[0];
    const batched = await audit.forEntity('award', 'a0');
    expect(batched).toHaveLength(1);
    const strip = (e: AuditEntry) => ({ actorId: e.actorId, action: e.action, entityType: e.entityType, before: e.before, after: e.after });
    expect(strip(batched[0])).toEqual(strip(single));
    expect(batched[0].at).toBeInstanceOf(Date);
    expect((await audit.forEntity('award', 'a229'))[0].after).toEqual({ n: 229, name: '李明' });
    await ds.destroy();
  });
});

describe('OutboxDispatcher.dispatchOnce', () => {
  const config = { outboxPollMs: 60_000 } as AppConfig;

  it('does not poll or react to commits in a process that does not dispatch (worker-only), but dispatches when asked', async () => {
    const { ds, db } = await database();
    const outbox = new OutboxService();
    await db.transaction((m) => outbox.addMany(m, events(3)));
    const { queues, calls } = fakeQueues(() => false);
    const quiet = new OutboxDispatcher(db, queues, outbox, { outboxPollMs: 50 } as AppConfig, false);
    quiet.onApplicationBootstrap();
    outbox.notifyCommitted();
    await new Promise((r) => setTimeout(r, 300));
    expect(calls).toHaveLength(0);
    await quiet.onApplicationShutdown();
    const polling = new OutboxDispatcher(db, queues, outbox, { outboxPollMs: 50 } as AppConfig, true);
    polling.onApplicationBootstrap();
    outbox.notifyCommitted();
    for (let i = 0; i < 100 && calls.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    await polling.onApplicationShutdown();
    expect(calls).toHaveLength(3);
    await ds.destroy();
  });

  it('sends a claimed batch with one pipeline per queue and marks it sent, each job once with its job id', async () => {
    const { ds, db } = await database();
    const outbox = new OutboxService();
    const written = await db.transaction((m) => outbox.addMany(m, events(120)));
    const { queues, calls, bulks } = fakeQueues(() => false);
    const dispatcher = new OutboxDispatcher(db, queues, outbox, config);
    await expect(dispatcher.dispatchOnce()).resolves.toBe(120);
    expect(bulks.sort((x, y) => x.queue.localeCompare(y.queue))).toEqual([
      { queue: 'a', n: 60 },
      { queue: 'b', n: 60 },
    ]);
    expect(calls.map((c) => c.jobId).sort()).toEqual(written.map((e) => e.jobId).sort());
    expect(calls.every((c) => c.queue === (written.find((e) => e.jobId === c.jobId)!.queue))).toBe(true);
    expect(calls[0].data).toMatchObject({ eventId: expect.any(String), eventType: 'test.event' });
    const rows = await ds.manager.find(OutboxEvent);
    expect(rows.every((r) => r.sentAt instanceof Date && r.attempts === 1 && r.claimToken === null && r.claimedUntil === null && r.lastError === null)).toBe(true);
    await expect(dispatcher.dispatchOnce()).resolves.toBe(0);
    expect(calls).toHaveLength(120);
    await ds.destroy();
  });

  it('falls back event by event when every pipeline fails: the first failure backs off, the rest is released', async () => {
    const { ds, db } = await database();
    const outbox = new OutboxService();
    await db.transaction((m) => outbox.addMany(m, events(5)));
    const { queues, calls, bulks } = fakeQueues(() => true, () => true);
    const dispatcher = new OutboxDispatcher(db, queues, outbox, config);
    await expect(dispatcher.dispatchOnce()).resolves.toBe(0);
    // Both queues' pipelines failed, then the per-event path stops at its first failure.
    expect(bulks).toHaveLength(2);
    expect(calls).toHaveLength(1);
    const rows = await ds.manager.find(OutboxEvent);
    expect(rows.every((r) => r.sentAt === null && r.claimToken === null)).toBe(true);
    const failed = rows.filter((r) => r.attempts === 1);
    expect(failed).toHaveLength(1);
    expect(failed[0].lastError).toMatch(/Redis/);
    expect(failed[0].claimedUntil!.getTime()).toBeGreaterThan(Date.now());
    expect(rows.filter((r) => r.attempts === 0).every((r) => r.claimedUntil === null && r.lastError === null)).toBe(true);
    await ds.destroy();
  });

  it('marks the sent part of a batch, tries the events of a failed pipeline one by one while Redis answers, and backs off those that fail', async () => {
    const { ds, db } = await database();
    const outbox = new OutboxService();
    await db.transaction((m) => outbox.addMany(m, events(6)));
    // Queue a's pipeline fails, b's goes through; of a's three events tried alone, the first and the third fail.
    const { queues, calls } = fakeQueues((c) => c.queue === 'a' && calls.filter((x) => x.queue === 'a').length % 2 === 1, (q) => q === 'a');
    const dispatcher = new OutboxDispatcher(db, queues, outbox, config);
    await expect(dispatcher.dispatchOnce()).resolves.toBe(4);
    expect(calls.filter((c) => c.queue === 'b')).toHaveLength(3);
    expect(calls.filter((c) => c.queue === 'a')).toHaveLength(3);
    const rows = await ds.manager.find(OutboxEvent);
    expect(rows.filter((r) => r.sentAt !== null && r.attempts === 1)).toHaveLength(4);
    const failed = rows.filter((r) => r.sentAt === null);
    expect(failed).toHaveLength(2);
    expect(failed.every((r) => r.queue === 'a' && r.attempts === 1 && r.claimToken === null && r.claimedUntil!.getTime() > Date.now() && /Redis/.test(r.lastError ?? ''))).toBe(true);
    // Backing off: the next pass leaves them alone.
    await expect(dispatcher.dispatchOnce()).resolves.toBe(0);
    expect(calls).toHaveLength(6);
    await ds.destroy();
  });
});
