/**
 * The real entry points as child processes (ts-node, transpile-only): config refusal, the API, the worker,
 * `npm start` (src/start.ts), SIGTERM → exit 0, and the private-redis branch of start's Redis resolution.
 * Each child gets its own var dir (SQLite file), queue prefix and port; on PostgreSQL (DATABASE_URL set)
 * each gets a fresh schema, dropped afterwards. Every child still running is killed in afterAll.
 */
import { Queue } from 'bullmq';
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import IORedis from 'ioredis';
import { Client } from 'pg';
import { deleteKeysWithPrefix, findRedisServerBinary, freePort, pingRedis } from '../../src/modules/queue/redis-server';
import { resolveRedis } from '../../src/redis-resolution';

const ROOT = path.resolve(__dirname, '../..');
const SHARED_REDIS = 'redis://127.0.0.1:6379';
const pgUrl = process.env.DATABASE_URL;
const ADMIN_PASSWORD = 'admin-password-1';

interface Run {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

interface Site {
  name: string;
  varDir: string;
  sqlitePath: string;
  port: number;
  env: NodeJS.ProcessEnv;
}

const runs: Run[] = [];
const sites: Site[] = [];
const queues: Queue[] = [];
const cleanups: Array<() => Promise<unknown>> = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const uniqueName = () => `p${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;

async function withPg<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: pgUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A var dir, a queue prefix, a free port (and a schema on PostgreSQL) for one child process. */
async function site(extra: Record<string, string | undefined> = {}): Promise<Site> {
  const name = uniqueName();
  const varDir = fs.mkdtempSync(path.join(os.tmpdir(), 'contest-proc-'));
  const sqlitePath = path.join(varDir, 'contest.sqlite');
  const port = await freePort();
  if (pgUrl) await withPg((c) => c.query(`CREATE SCHEMA ${name}`));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TS_NODE_TRANSPILE_ONLY: '1',
    VAR_DIR: varDir,
    SQLITE_PATH: sqlitePath,
    QUEUE_PREFIX: name,
    PORT: String(port),
    LOG_LEVEL: 'warn',
    ADMIN_USERNAME: 'admin',
    ADMIN_PASSWORD,
    OUTBOX_POLL_MS: '200',
    DATABASE_SCHEMA: pgUrl ? name : undefined,
    ...extra,
  };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const s = { name, varDir, sqlitePath, port, env };
  sites.push(s);
  return s;
}

function launch(entry: 'src/main.ts' | 'src/worker.ts' | 'src/start.ts', env: NodeJS.ProcessEnv): Run {
  const proc = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', entry], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  const run = { proc, stdout: () => out, stderr: () => err, exited };
  runs.push(run);
  return run;
}

const alive = (run: Run) => run.proc.exitCode === null && run.proc.signalCode === null;

/** The exit of `run`, or a failure naming what it printed if it takes longer than `ms`. */
async function exitOf(run: Run, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no exit within ${ms} ms; stderr:\n${run.stderr()}\nstdout:\n${run.stdout().slice(-2000)}`)), ms);
  });
  try {
    return await Promise.race([run.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls /health until it answers 200 (bounded); fails at once if the process exits. */
async function healthy(run: Run, port: number, ms = 60_000): Promise<{ status: string; info: Record<string, { status: string; kind?: string }> }> {
  const deadline = Date.now() + ms;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (!alive(run)) throw new Error(`exited (${run.proc.exitCode ?? run.proc.signalCode}) before /health answered; stderr:\n${run.stderr()}\nstdout:\n${run.stdout().slice(-2000)}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) });
      const body = (await res.json()) as { status: string; info: Record<string, { status: string; kind?: string }> };
      if (res.status === 200) return body;
      last = `${res.status} ${JSON.stringify(body)}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`/health did not answer 200 within ${ms} ms (last: ${last}); stderr:\n${run.stderr()}`);
}

function queueFor(s: Site, name: string): Queue {
  const q = new Queue(name, { connection: { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null }, prefix: s.name });
  q.on('error', () => undefined);
  queues.push(q);
  return q;
}

/** Polls a job until it reaches `state` (bounded), failing early on 'failed'. */
async function jobReaches(q: Queue, id: string, state: 'active' | 'completed', ms: number, intervalMs = 50) {
  const deadline = Date.now() + ms;
  let current = 'missing';
  while (Date.now() < deadline) {
    // State first, then the job: a job read first and found completed a moment later has no result yet.
    current = await q.getJobState(id);
    const job = current === 'unknown' ? undefined : await q.getJob(id);
    if (!job) current = 'missing';
    else if (current === state || (state === 'active' && current === 'completed')) return job;
    if (current === 'failed') throw new Error(`job ${id} failed: ${job!.failedReason}`);
    await sleep(intervalMs);
  }
  throw new Error(`job ${id} did not reach ${state} within ${ms} ms (state: ${current})`);
}

/**
 * A TCP proxy to 127.0.0.1:`targetPort`. The first chunk a client sends that matches `trigger` — and
 * everything after it on that connection — is held back until release(); other connections flow freely.
 */
async function stallingProxy(targetPort: number, trigger: (chunk: Buffer) => boolean) {
  const sockets = new Set<net.Socket>();
  let releaseHeld: (() => void) | undefined;
  let released = false;
  let onStall: () => void = () => undefined;
  const stalledOnce = new Promise<void>((resolve) => (onStall = resolve));
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    let holding: Buffer[] | undefined;
    client.on('data', (chunk: Buffer) => {
      if (holding) return void holding.push(chunk);
      if (!releaseHeld && !released && trigger(chunk)) {
        holding = [chunk];
        releaseHeld = () => {
          for (const c of holding ?? []) upstream.write(c);
          holding = undefined;
        };
        onStall();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const sock of [client, upstream]) {
      sock.on('error', end);
      sock.on('close', end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    /** Resolves once a matching chunk is being held. */
    async stalled(ms: number) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          stalledOnce,
          new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`nothing matched the proxy trigger within ${ms} ms`)), ms))),
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
    release() {
      released = true;
      releaseHeld?.();
    },
    async close() {
      this.release();
      for (const sock of sockets) sock.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}


afterAll(async () => {
  for (const run of runs) {
    if (alive(run)) {
      run.proc.kill('SIGKILL');
      await run.exited;
    }
  }
  await Promise.allSettled(queues.map((q) => q.close()));
  for (const c of cleanups) await c().catch(() => undefined);
  for (const s of sites) {
    await deleteKeysWithPrefix(SHARED_REDIS, s.name);
    if (pgUrl) await withPg((c) => c.query(`DROP SCHEMA IF EXISTS ${s.name} CASCADE`)).catch(() => undefined);
    fs.rmSync(s.varDir, { recursive: true, force: true });
  }
}, 30_000);

describe(`entry points as processes (${pgUrl ? 'PostgreSQL' : 'SQLite'}, Redis ${SHARED_REDIS})`, () => {
  describe('config refusal: exit code 1 and exactly one line on stderr naming the variable', () => {
    it.each([
      ['src/main.ts', { PORT: 'abc' }, 'PORT'],
      ['src/worker.ts', { REDIS_URL: 'http://nope' }, 'REDIS_URL'],
      ['src/start.ts', { PORT: 'abc' }, 'PORT'],
    ] as const)('%s with %j', async (entry, extra, variable) => {
      const s = await site(extra);
      const run = launch(entry, s.env);
      const { code } = await exitOf(run, 45_000);
      expect(code).toBe(1);
      const lines = run.stderr().split('\n').filter((l) => l !== '');
      expect(lines).toHaveLength(1);
      expect(run.stderr().endsWith('\n')).toBe(true);
      expect(lines[0]).toMatch(new RegExp(`^Configuration error: ${variable} \\S`));
      // A refused start leaves nothing behind: no generated secrets, no database file.
      expect(fs.readdirSync(s.varDir)).toEqual([]);
    }, 60_000);
  });

  it('the API (src/main.ts) answers /health with database and Redis up, and exits 0 on SIGTERM', async () => {
    const s = await site();
    const run = launch('src/main.ts', s.env);
    const health = await healthy(run, s.port);
    expect(health.status).toBe('ok');
    expect(health.info.database).toMatchObject({ status: 'up', kind: pgUrl ? 'postgres' : 'sqlite' });
    expect(health.info.redis).toMatchObject({ status: 'up' });
    run.proc.kill('SIGTERM');
    expect(await exitOf(run, 45_000)).toEqual({ code: 0, signal: null });
    expect(run.stderr()).toContain('SIGTERM: shutting down');
  }, 120_000);

  it('the worker (src/worker.ts) takes a job; on SIGTERM it finishes the running one, then exits 0', async () => {
    // The worker reaches Redis through a proxy that can hold back what the worker sends, so that a job
    // can be kept running (its handler waiting on Redis) at the moment SIGTERM arrives.
    const holdId = `hold-${randomUUID()}`;
    const proxy = await stallingProxy(6379, (chunk) => chunk.includes(holdId));
    cleanups.push(() => proxy.close());
    const s = await site({ REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
    const run = launch('src/worker.ts', s.env);
    const system = queueFor(s, 'system');

    // 1. A queue-check job enqueued straight into the system queue is processed by this worker.
    const check = await system.add('queue-check', { ownerId: 'x', requestedAt: new Date().toISOString() });
    const done = await jobReaches(system, check.id!, 'completed', 60_000, 100).catch((e: Error) => {
      throw new Error(`${e.message}; worker stderr:\n${run.stderr()}\nstdout:\n${run.stdout().slice(-2000)}`);
    });
    expect(done.returnvalue).toMatchObject({ ok: true, workerPid: run.proc.pid });

    // 2. The next one is held mid-way: its handler's first call to Redis (updateProgress) is kept back.
    const held = await system.add('queue-check', { ownerId: 'x', requestedAt: new Date().toISOString() }, { jobId: holdId, attempts: 1 });
    await proxy.stalled(10_000);
    expect(await held.getState()).toBe('active');
    const sigtermAt = new Date().toISOString();
    run.proc.kill('SIGTERM');
    await sleep(700);
    expect(alive(run)).toBe(true); // still finishing the running job
    proxy.release();
    expect(await exitOf(run, 45_000)).toEqual({ code: 0, signal: null });
    const finished = await system.getJob(holdId);
    expect(await finished!.getState()).toBe('completed');
    // Its database query ran after SIGTERM: the database was still open while the job finished.
    expect(finished!.returnvalue).toMatchObject({ ok: true, workerPid: run.proc.pid });
    expect((finished!.returnvalue as { processedAt: string }).processedAt > sigtermAt).toBe(true);
    expect(run.stderr()).toContain('SIGTERM: shutting down');
    expect(run.stdout()).not.toMatch(/job failed/);
  }, 120_000);

  it('`npm start` (src/start.ts) with REDIS_URL unset uses the Redis answering at 127.0.0.1:6379, runs API and worker, exits 0 on SIGTERM', async () => {
    const s = await site({ REDIS_URL: undefined });
    expect(await pingRedis(SHARED_REDIS)).toBe(true);
    const run = launch('src/start.ts', s.env);
    const health = await healthy(run, s.port);
    expect(health.info.database).toMatchObject({ status: 'up' });
    expect(health.info.redis).toMatchObject({ status: 'up' });
    expect(run.stderr()).not.toContain('private redis-server');

    // A job produced by the API is consumed by the worker of the same process.
    const base = `http://127.0.0.1:${s.port}`;
    const login = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    expect(login.status).toBe(200);
    const auth = { authorization: `Bearer ${((await login.json()) as { accessToken: string }).accessToken}` };
    const enqueued = await fetch(`${base}/api/system/queue-check`, { method: 'POST', headers: auth });
    expect(enqueued.status).toBe(202);
    const { jobId } = (await enqueued.json()) as { jobId: string };
    let state = '';
    for (const deadline = Date.now() + 15_000; Date.now() < deadline && state !== 'completed'; await sleep(100)) {
      state = ((await (await fetch(`${base}/api/jobs/${jobId}`, { headers: auth })).json()) as { state: string }).state;
    }
    expect(state).toBe('completed');
    // The job went through the shared Redis under this run's prefix.
    expect(await queueFor(s, 'system').getJob(jobId)).toBeDefined();

    run.proc.kill('SIGTERM');
    expect(await exitOf(run, 45_000)).toEqual({ code: 0, signal: null });
  }, 120_000);

  const binary = findRedisServerBinary();
  (binary ? it : it.skip)('start’s Redis resolution, private branch: no Redis at the default URL ⇒ a private redis-server (appendonly, noeviction, data in <varDir>/redis) that stop() stops', async () => {
    const varDir = fs.mkdtempSync(path.join(os.tmpdir(), 'contest-private-redis-'));
    cleanups.push(async () => fs.rmSync(varDir, { recursive: true, force: true }));
    const silent = `redis://127.0.0.1:${await freePort()}`;
    expect(await pingRedis(silent, 300)).toBe(false);

    const resolved = await resolveRedis({ defaultUrl: silent, varDir });
    if (resolved.source !== 'private') throw new Error(`expected a private redis, got ${JSON.stringify(resolved)}`);
    cleanups.push(() => resolved.stop());
    expect(resolved.url).not.toBe(silent);
    expect(resolved.url).not.toBe(SHARED_REDIS);
    expect(resolved.dir).toBe(path.join(varDir, 'redis'));

    const r = new IORedis(resolved.url, { maxRetriesPerRequest: 1 });
    try {
      expect(await r.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      expect(await r.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
      expect(await r.config('GET', 'dir')).toEqual(['dir', fs.realpathSync(path.join(varDir, 'redis'))]);
      const info = await r.info('server');
      expect(Number(/process_id:(\d+)/.exec(info)![1])).toBe(resolved.pid);
    } finally {
      r.disconnect();
    }

    await resolved.stop();
    expect(await pingRedis(resolved.url, 300)).toBe(false);
    expect(() => process.kill(resolved.pid, 0)).toThrow(/ESRCH/);
  }, 60_000);
});
