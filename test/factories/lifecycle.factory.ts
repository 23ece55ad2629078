/**
 * Helpers for the whole-lifecycle and certificate fault e2e files: HTTP calls that must succeed, polling,
 * bounded concurrency, a competition of many entries seeded through the API, and the worker entry point
 * (src/worker.ts) as a child process sharing an in-process test app's database, files and queue prefix.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { bearer, TestApp } from '../utils/create-test-app';
import { competitionBody, newWorker, transition } from './competition.factory';
import { createUser } from './identity.factory';
import { resultsClientId, SMALL_SCHEME } from './results.factory';

const ROOT = path.resolve(__dirname, '../..');

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Awaits a supertest request and returns its body; throws naming `what`, the status and the body unless 2xx. */
export async function must<T = any>(req: PromiseLike<{ status: number; body: any }>, what: string): Promise<T> {
  const res = await req;
  if (res.status < 200 || res.status > 299) throw new Error(`${what} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as T;
}

/** Polls `probe` until it returns something other than undefined; throws with the last value seen after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000, intervalMs = 150, last?: () => unknown): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `; last: ${JSON.stringify(last())}` : ''}`);
    await sleep(intervalMs);
  }
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results in the order of `items`. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  });
  await Promise.all(lanes);
  return out;
}

/** Every item of a paged list endpoint (`?limit=&offset=` → `{items,total}`), 200 at a time. */
export async function listAll<T = any>(t: TestApp, token: string, url: string): Promise<T[]> {
  const items: T[] = [];
  for (let offset = 0; ; offset += 200) {
    const sep = url.includes('?') ? '&' : '?';
    const page = await must<{ items: T[]; total: number }>(t.http().get(`${url}${sep}limit=200&offset=${offset}`).set(bearer(token)), `list ${url}`);
    items.push(...page.items);
    if (items.length >= page.total || page.items.length === 0) return items;
  }
}

export interface ManyEntriesContest {
  id: string;
  chiefToken: string;
  /** enrolment id → worker id */
  workerOf: Map<string, string>;
}

/**
 * A published competition of SMALL_SCHEME with `n` entries (new workers employed by `employerOrgId`), seeded
 * through the API with `concurrency` requests in flight: enrolments, approvals, draw, one chief judge from
 * `judgeOrgId` marking every entry in batches of 200 marks (entry i: exam 100 − ⌊i÷4⌋, wiring 100 − (i mod 4) × 0.25),
 * scores locked by the chief, results published by the organizer.
 */
export async function publishedManyEntries(
  t: TestApp,
  organizerToken: string,
  opts: { organizationId: string; employerOrgId: string; judgeOrgId: string; n: number; awardRules: unknown[]; concurrency?: number; title?: string },
): Promise<ManyEntriesContest> {
  const lanes = opts.concurrency ?? 8;
  const c = await must(
    t.http().post('/api/competitions').set(bearer(organizerToken)).send(
      competitionBody(opts.organizationId, {
        title: opts.title ?? `2026年衢州市电工职业技能竞赛（${opts.n}人）`,
        enrolmentRules: {},
        scoring: SMALL_SCHEME,
        tieBreakers: [{ by: 'section', key: 'practical', order: 'desc' }],
        awardRules: opts.awardRules,
      }),
    ),
    'create competition',
  );
  await must(transition(t, organizerToken, c.id, 'enrolment_open'), 'open enrolment');
  const ids = await pool(
    Array.from({ length: opts.n }, (_, i) => i),
    lanes,
    async (i) =>
      (await must(t.http().post(`/api/competitions/${c.id}/enrolments`).set(bearer(organizerToken)).send({ worker: newWorker(opts.employerOrgId, { name: `选手${String(i + 1).padStart(3, '0')}` }) }), `enrol #${i + 1}`)).id as string,
  );
  await pool(ids, lanes, (id) => must(t.http().post(`/api/enrolments/${id}/decision`).set(bearer(organizerToken)).send({ decision: 'approve' }), 'approve'));
  await must(transition(t, organizerToken, c.id, 'enrolment_closed'), 'close enrolment');
  await must(t.http().post(`/api/competitions/${c.id}/draw`).set(bearer(organizerToken)).send({ seed: 'many' }), 'draw');
  await must(transition(t, organizerToken, c.id, 'in_progress'), 'start');
  const chief = await createUser(t, organizerToken, { roles: ['judge'], organizationId: opts.judgeOrgId, displayName: '裁判长' });
  await must(t.http().post(`/api/competitions/${c.id}/judges`).set(bearer(organizerToken)).send({ userId: chief.id, chief: true }), 'assign chief judge');
  const marks = ids.flatMap((id, i) => [
    { enrolmentId: id, criterion: 'exam', value: 100 - Math.floor(i / 4), clientId: resultsClientId() },
    { enrolmentId: id, criterion: 'wiring', value: (10_000 - (i % 4) * 25) / 100, clientId: resultsClientId() },
  ]);
  for (let i = 0; i < marks.length; i += 200) {
    const body = await must(t.http().put(`/api/judging/competitions/${c.id}/marks`).set(bearer(chief.token)).send({ marks: marks.slice(i, i + 200) }), 'marks');
    if (body.rejected.length) throw new Error(`marks rejected: ${JSON.stringify(body.rejected.slice(0, 5))}`);
  }
  await must(transition(t, chief.token, c.id, 'scores_locked'), 'lock scores');
  await must(transition(t, organizerToken, c.id, 'published'), 'publish');
  const list = await listAll<{ id: string; worker: { id: string } }>(t, organizerToken, `/api/competitions/${c.id}/enrolments`);
  return { id: c.id, chiefToken: chief.token, workerOf: new Map(list.map((e) => [e.id, e.worker.id])) };
}

export interface ChildRun {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive: () => boolean;
}

/** The environment of a child process sharing `t`'s database (SQLite file or PostgreSQL schema), var dir (files, secrets), Redis and queue prefix. */
export function sharedEnv(t: TestApp, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TS_NODE_TRANSPILE_ONLY: '1',
    VAR_DIR: t.config.varDir,
    SQLITE_PATH: t.config.database.sqlitePath,
    DATABASE_SCHEMA: t.config.database.kind === 'postgres' ? t.config.database.schema : undefined,
    QUEUE_PREFIX: t.config.queuePrefix,
    REDIS_URL: t.config.redisUrl,
    PUBLIC_BASE_URL: t.config.publicBaseUrl,
    LOG_LEVEL: 'warn',
    OUTBOX_POLL_MS: '200',
    ...extra,
  };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return env;
}

/** Starts src/worker.ts under ts-node (transpile-only) as a child process. */
export function launchWorker(env: NodeJS.ProcessEnv): ChildRun {
  const proc = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/worker.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out = (out + d).slice(-20_000)));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-20_000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  return { proc, stdout: () => out, stderr: () => err, exited, alive: () => proc.exitCode === null && proc.signalCode === null };
}

/** SIGKILLs a child still running and waits for its exit. */
export async function killHard(run: ChildRun | undefined): Promise<void> {
  if (!run || !run.alive()) return;
  run.proc.kill('SIGKILL');
  await run.exited;
}
