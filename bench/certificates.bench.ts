/**
 * `npm run bench:certificates` (issue 5, item 9): finalize a competition of BENCH_CERTIFICATES entries
 * (default 10,000) whose award rules give every entry an award, and time from the finalize request until
 * every certificate is `ready`, with the API in one child process and the certificate workers in
 * BENCH_CERT_WORKERS worker processes (default 2, the machine's cores) of CERT_WORKER_CONCURRENCY jobs each
 * (BENCH_CERT_CONCURRENCY, default below). Baseline of the same run: the renderer alone — the same
 * renderPdf + FileStore.put the job runs, without database or queue — on the same number of processes, run
 * twice: before the pipeline over the same entries (serials of their own, no awards exist yet) and after it over
 * the very same certificate facts (so those PDFs must come out byte-identical, which is checked); the figures use
 * both runs together, so that the machine's drift over the run weighs on both sides. Between the pipeline and the
 * second renderer-alone run, the queue's floor (BENCH_CERT_FLOOR=0 skips it): the same renders as BullMQ jobs and
 * nothing else, so that each run also tells what BullMQ alone costs on the machine and what the system adds to it.
 * Every PDF of the run (the pipeline's file store and both kinds of baseline output) is written to tmpfs by default
 * (BENCH_FILES_DIR to choose; filesBase() says why); the database stays on disk.
 */
import type { CertificateProgress } from '../src/modules/certificates/certificates.service';
import Database from 'better-sqlite3';
import IORedis from 'ioredis';
import { ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { extractProof } from '../src/modules/certificates/render/certificate-pdf';
import type { CertificateFacts } from '../src/modules/certificates/render/certificate-payload';
import { CertificateSigner, verifySignature } from '../src/modules/certificates/render/signing';
import { scoreEntry, SectionInput } from '../src/modules/scoring/domain/arithmetic';
import { Api, inGroups } from './lib/api';
import { ChildServer, procMemory } from './lib/child-server';
import { cpuSeconds, mainThreadSeconds } from './lib/proc-cpu';
import { insertApprovedEntries, prng } from './lib/seed';
import { summarizeCpuProfile } from './lib/cpu-profile';
import { fmt, out, since, target } from './lib/report';
import type { RenderAloneDone } from './certificates/render-alone';
import type { QueueFloorDone } from './certificates/queue-floor';
import { Queue, QueueEvents } from 'bullmq';
import { DEFAULT_JOB_OPTIONS } from '../src/modules/queue/queue.constants';
import { DEFAULT_CHECKPOINT_INTERVAL_MS } from '../src/config/load-config';
import { CERTIFICATE_JOBS, CERTIFICATES_QUEUE } from '../src/modules/certificates/certificates.queue';

const ENTRIES = Number(process.env.BENCH_CERTIFICATES ?? 10_000);
const WORKERS = Number(process.env.BENCH_CERT_WORKERS ?? 2);
/**
 * Jobs at once per worker process (CERT_WORKER_CONCURRENCY). Rendering is CPU-bound and synchronous (pdfkit,
 * fontkit): a second job only overlaps one job's waits (Redis round trips, SQLite's write lock, the file write)
 * with the other's rendering. A sweep at 2,000 certificates on the shared 2-core machine (1, 2, 4) gave the
 * same overhead within its noise; 4 only raised event-loop delays and memory. 2 × 2 processes = 4 jobs in
 * flight for 2 cores.
 */
const CONCURRENCY = Number(process.env.BENCH_CERT_CONCURRENCY ?? 2);
const ENTERPRISES = 8;
/**
 * How often the bench looks whether every certificate is ready: a COUNT on its own read-only connection to the
 * SQLite file (the (competition_id, status) index answers it), so that watching costs the API nothing. The times
 * reported are not bound to this interval: the first and the last certificate's ready times are their rendered_at,
 * read once at the end (set by the worker as it marks the certificate ready), so the watcher can look rarely and
 * take little CPU from the pipeline it measures.
 */
const WATCH_MS = 500;
/** How often the API's progress endpoint is asked as well (as an organizer's page would), and checked against the count. */
const POLL_MS = 2000;
/** No certificate became ready for this long: give up (the figures say how far it got). */
const STALL_MS = 120_000;
/** Issue 5, item 9: 10,000 certificates within 120 s; queue overhead (1 − pipeline/renderer) at most 20 %. */
const TARGET = { seconds: 120, forEntries: 10_000, overheadPct: 20 };

const ROOT = path.resolve(__dirname, '..');
const WORKER_ENTRY = path.join(__dirname, 'certificates', 'worker.ts');
const RENDER_ALONE_ENTRY = path.join(__dirname, 'certificates', 'render-alone.ts');
const QUEUE_FLOOR_ENTRY = path.join(__dirname, 'certificates', 'queue-floor.ts');
/**
 * BENCH_CERT_FLOOR=0 skips the queue's floor: the renderer alone fed through BullMQ (bench/certificates/queue-floor.ts),
 * run between the pipeline and the second renderer-alone run, to tell what BullMQ alone costs per certificate on
 * this machine from what the system (finalize, outbox, database, Nest) adds to it.
 */
const FLOOR = process.env.BENCH_CERT_FLOOR !== '0';

/** Theory 30 % (one criterion), practical 70 % (two): one judge, `single` marks — cheap to seed, real arithmetic. */
const SCORING = {
  sections: [
    { key: 'theory', name: '理论知识', weight: 30, criteria: [{ key: 'exam', name: '理论考试', maxScore: 100, type: 'measurement', judgesRequired: 1, aggregation: 'single' }] },
    {
      key: 'practical',
      name: '技能操作',
      weight: 70,
      criteria: [
        { key: 'wiring', name: '线路安装', maxScore: 50, type: 'judgement', judgesRequired: 1, aggregation: 'single' },
        { key: 'safety', name: '安全文明', maxScore: 50, type: 'judgement', judgesRequired: 1, aggregation: 'single' },
      ],
    },
  ],
} as const;
/** Medal for first place (everyone tied there), a merit certificate for every ranked entry. */
const AWARD_RULES = [
  { fromRank: 1, toRank: 1, award: 'may_day_medal' },
  { fromRank: 1, toRank: ENTRIES, award: 'merit' },
];

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const loadAverage = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
const mib = (m: { peakMiB: number } | undefined) => (m ? `${fmt(m.peakMiB)} MiB` : 'unknown');

/** CPU seconds the Redis server has used so far (INFO cpu): the queue's share of the machine. */
async function redisCpuSeconds(url: string): Promise<number> {
  const r = new IORedis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    const info = await r.info('cpu');
    const field = (k: string) => Number(new RegExp(`^${k}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
    return field('used_cpu_user') + field('used_cpu_sys');
  } catch {
    return NaN;
  } finally {
    r.disconnect();
  }
}

interface Setup {
  competitionId: string;
  organizerToken: string;
  adminToken: string;
}

/**
 * Organizations, users, the competition and its transitions go through the API; the workers, enrolments,
 * marks and standings (entry_scores, computed with the application's own scoreEntry) are inserted directly.
 */
async function seed(server: ChildServer, rnd: () => number): Promise<Setup> {
  const api = new Api(server.baseUrl);
  const admin = await api.adminToken();
  const city = await api.createOrg(admin, { name: '衢州市总工会', level: 'city' });
  const county = await api.createOrg(admin, { name: '柯城区总工会', level: 'county', parentId: city.id });
  const enterprises = await inGroups(
    Array.from({ length: ENTERPRISES }, (_, i) => i),
    1,
    (i) => api.createOrg(admin, { name: `国网衢州供电公司第${i + 1}分公司工会`, level: 'enterprise', parentId: county.id }),
  );
  const organizer = await api.createUser(admin, 'bench-organizer', ['organizer'], city.id);
  const now = Date.now();
  const c = await api.call<{ id: string }>('POST', '/api/competitions', {
    token: organizer.token,
    body: {
      title: '2026年衢州市电工职业技能竞赛（证书基准）',
      kind: 'skills',
      level: 'city',
      trade: '电工',
      organizationId: city.id,
      contestantType: 'individual',
      schedule: { enrolmentOpensAt: iso(now - DAY / 24), enrolmentClosesAt: iso(now + 7 * DAY), startsAt: iso(now + 8 * DAY), endsAt: iso(now + 9 * DAY) },
      enrolmentRules: {},
      scoring: SCORING,
      tieBreakers: [
        { by: 'section', key: 'practical', order: 'desc' },
        { by: 'timeUsed', order: 'asc' },
      ],
      awardRules: AWARD_RULES,
      publicityDays: 5,
      medalPolicy: 'direct',
    },
  });
  await api.transition(organizer.token, c.id, 'enrolment_open');

  const db = new Database(server.config.database.sqlitePath);
  db.pragma('busy_timeout = 10000');
  db.pragma('foreign_keys = ON');
  insertApprovedEntries(db, rnd, {
    competitionId: c.id,
    count: ENTRIES,
    orgsOf: (i) => ({ employerId: enterprises[i % enterprises.length].id, nominatingOrgId: county.id }),
    organizerId: organizer.id,
    dataKey: server.config.dataKey,
  });

  await api.transition(organizer.token, c.id, 'enrolment_closed');
  await api.call('POST', `/api/competitions/${c.id}/draw`, { token: organizer.token, body: { seed: 'bench-certificates' }, expect: 200 });
  await api.transition(organizer.token, c.id, 'in_progress');
  const judge = await api.createUser(admin, 'bench-judge', ['judge'], city.id);
  await api.call('POST', `/api/competitions/${c.id}/judges`, { token: organizer.token, body: { userId: judge.id, chief: true } });

  // One mark per criterion from the one (chief) judge, and the standing those marks give (what a mark's transaction stores).
  const entryIds = (db.prepare("SELECT id FROM enrolments WHERE competition_id = ? AND status = 'approved'").pluck().all(c.id) as string[]).sort();
  const insertScore = db.prepare('INSERT INTO scores (id, competition_id, enrolment_id, criterion_key, judge_user_id, value, client_id) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const insertStanding = db.prepare('INSERT INTO entry_scores (enrolment_id, competition_id, total, sections, criteria, penalties, complete) VALUES (?, ?, ?, ?, ?, 0, ?)');
  let n = 0;
  db.transaction(() => {
    for (const entry of entryIds) {
      const level = 0.55 + rnd() * 0.4;
      const sections: SectionInput[] = SCORING.sections.map((s) => ({
        key: s.key,
        weight: s.weight,
        criteria: s.criteria.map((k) => {
          // Whole points, so that equal totals happen and the tie-breakers work.
          const value = Math.min(k.maxScore, Math.max(0, Math.round(k.maxScore * (level + (rnd() - 0.5) * 0.1)))) * 100;
          insertScore.run(randomUUID(), c.id, entry, k.key, judge.id, value, `seed-${n++}`);
          return { key: k.key, maxScore: k.maxScore * 100, judgesRequired: k.judgesRequired, aggregation: k.aggregation, marks: [value] };
        }),
      }));
      const r = scoreEntry(sections, 0);
      insertStanding.run(entry, c.id, r.total, JSON.stringify(r.sections), JSON.stringify(r.criteria), r.complete ? 1 : 0);
    }
  })();
  db.close();

  await api.call('POST', `/api/competitions/${c.id}/transitions`, { token: judge.token, body: { to: 'scores_locked' }, expect: 200 });
  await api.transition(organizer.token, c.id, 'published');
  return { competitionId: c.id, organizerToken: organizer.token, adminToken: admin };
}

/** A child process of this bench (worker or renderer), killed on exit whatever happens. */
class Child {
  private static readonly live = new Set<Child>();
  private static hooked = false;
  readonly proc: ChildProcess;
  private output = '';
  exited?: { code: number | null; signal: NodeJS.Signals | null };
  private readonly exitedP: Promise<void>;

  constructor(entry: string, env: Record<string, string | undefined>) {
    if (!Child.hooked) {
      Child.hooked = true;
      process.once('exit', () => {
        for (const c of Child.live) if (!c.exited) c.proc.kill('SIGKILL');
      });
    }
    this.proc = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', entry], { cwd: ROOT, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    Child.live.add(this);
    const keep = (b: Buffer) => (this.output = (this.output + b.toString('utf8')).slice(-20_000));
    this.proc.stdout!.on('data', keep);
    this.proc.stderr!.on('data', keep);
    this.exitedP = new Promise((resolve) =>
      this.proc.once('exit', (code, signal) => {
        this.exited = { code, signal };
        Child.live.delete(this);
        resolve();
      }),
    );
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  get log(): string {
    return this.output;
  }

  /** The first IPC message matching `pick`, or an error when the child exits first or the time runs out. */
  message<T>(pick: (m: any) => boolean, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${what}: nothing within ${timeoutMs / 1000} s; output:\n${this.output}`)), timeoutMs);
      const onMessage = (m: unknown) => {
        if (!pick(m)) return;
        clearTimeout(timer);
        this.proc.off('message', onMessage);
        resolve(m as T);
      };
      this.proc.on('message', onMessage);
      void this.exitedP.then(() => {
        clearTimeout(timer);
        reject(new Error(`${what}: the process exited (${JSON.stringify(this.exited)}); output:\n${this.output}`));
      });
    });
  }

  /** SIGTERM (a worker finishes its running jobs and closes), SIGKILL after 20 s. */
  async stop(): Promise<void> {
    if (this.exited) return;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 20_000);
    await this.exitedP;
    clearTimeout(timer);
  }
}

type Progress = CertificateProgress;

/** SQLite datetime text (UTC, as TypeORM writes it) → Date. */
const sqliteDate = (v: string | null): Date | null => (v === null ? null : new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : `${v.replace(' ', 'T')}Z`));

/**
 * Every certificate's facts, read in one query — the same fields loadFacts (certificate-facts.ts) reads per
 * certificate: the award, the worker and employer, the competition and its organization.
 */
function readFacts(sqlitePath: string, competitionId: string, publicBaseUrl: string): Array<CertificateFacts & { sha256: string | null }> {
  const db = new Database(sqlitePath, { readonly: true });
  db.pragma('busy_timeout = 10000');
  const rows = db
    .prepare(
      `SELECT c.id AS id, c.serial AS serial, c.verification_code AS code, c.created_at AS created_at, c.sha256 AS sha256,
              a.id AS award_id, a.type AS type, a.level AS level, a.rank AS rank, a.total AS total, a.issued_at AS issued_at,
              w.name AS name, eo.name AS employer, k.id AS competition_id, k.title AS title, k.level AS competition_level,
              k.organization_id AS issuer_id, io.name AS issuer
         FROM certificates c
         JOIN awards a ON a.id = c.award_id
         JOIN workers w ON w.id = a.worker_id
         JOIN competitions k ON k.id = a.competition_id
         LEFT JOIN organizations eo ON eo.id = w.employer_org_id
         LEFT JOIN organizations io ON io.id = k.organization_id
        WHERE c.competition_id = ?
        ORDER BY c.serial`,
    )
    .all(competitionId) as Array<Record<string, any>>;
  db.close();
  return rows.map((r) => ({
    certificateId: r.id,
    serial: r.serial,
    verifyUrl: `${publicBaseUrl}/verify/${r.code}`,
    award: { id: r.award_id, type: r.type, level: r.level, rank: r.rank === null ? null : Number(r.rank), total: Number(r.total), issuedAt: sqliteDate(r.issued_at) ?? sqliteDate(r.created_at)! },
    recipient: { name: r.name, employer: r.employer ?? null },
    competition: { id: r.competition_id, title: r.title, level: r.competition_level },
    issuer: { id: r.issuer_id, name: r.issuer ?? '' },
    sha256: r.sha256,
  }));
}

/**
 * EXPERIMENT no-sqlite-writes: this process stores the ready states the workers no longer write, from the queue's
 * completion events, every 20 ms in one transaction (a write connection of its own).
 */
async function readyRecorder(server: ChildServer): Promise<{ stop(): Promise<string> }> {
  const conn = new IORedis(server.config.redisUrl, { maxRetriesPerRequest: null });
  const events = new QueueEvents(CERTIFICATES_QUEUE, { connection: conn, prefix: server.config.queuePrefix });
  await events.waitUntilReady();
  const db = new Database(server.config.database.sqlitePath);
  db.pragma('busy_timeout = 10000');
  db.pragma('synchronous = NORMAL');
  const update = db.prepare(
    "UPDATE certificates SET status = 'ready', file_key = ?, sha256 = ?, payload = ?, signature = ?, key_id = ?, template_version = ?, last_error = NULL, rendered_at = ?, updated_at = ? WHERE id = ? AND status IN ('queued', 'rendering')",
  );
  let pending: any[] = [];
  let recorded = 0;
  let batches = 0;
  const cpu0 = process.cpuUsage();
  const flush = db.transaction((rows: any[]) => {
    const at = new Date().toISOString().replace('T', ' ').replace('Z', '');
    for (const r of rows) recorded += update.run(r.fileKey, r.sha256, r.payload, r.signature, r.keyId, r.templateVersion, at, at, r.certificateId).changes;
  });
  events.on('completed', ({ returnvalue }) => {
    const r = typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue;
    if (r?.status === 'ready') pending.push(r);
  });
  const timer = setInterval(() => {
    if (!pending.length) return;
    const rows = pending;
    pending = [];
    flush(rows);
    batches++;
  }, 20);
  return {
    async stop() {
      clearInterval(timer);
      await events.close();
      conn.disconnect();
      db.close();
      const cpu = process.cpuUsage(cpu0);
      return `${recorded} ready states recorded by the bench in ${batches} transactions, ${fmt((cpu.user + cpu.system) / 1000 / Math.max(1, recorded), 2)} ms of this process's CPU per certificate (watching included)`;
    },
  };
}

interface PipelineRun {
  /** Date.now() when the finalize request was sent (timestamps in the database are compared with it). */
  requestedAt: number;
  awards: number;
  finalizeMs: number;
  totalMs: number;
  firstReadyMs: number;
  last: Progress;
  stalled: boolean;
  workerMem: Array<{ peakMiB: number; currentMiB: number } | undefined>;
  workerCpu: number[];
  /** The same, of the workers' main (JavaScript) threads only. */
  workerMainCpu: number[];
  /** The API's main thread alone. */
  apiMainCpu: number;
  apiCpu: number;
  redisCpu: number;
  apiMem?: { peakMiB: number; currentMiB: number };
  polls: number;
  /** Sum of the progress requests' durations, as this process saw them. */
  pollMs: number;
  windowLoad: string;
}

interface Statements {
  total: number;
  statements: Array<{ n: number; sql: string }>;
}

/** BENCH_PROFILE: CPU profiles and SQL statement counts of the API and every worker over exactly the pipeline's window. */
async function startDiagnostics(api: Api, workers: Child[]): Promise<void> {
  await Promise.all([api.call('POST', '/bench/profile/start', { expect: 200 }), api.call('POST', '/bench/queries/start', { expect: 200 })]);
  await Promise.all(
    workers.map((w) => {
      const started = w.message((m) => m?.diagnosing, 10_000, 'worker profiler start');
      w.proc.send({ diag: 'start' });
      return started;
    }),
  );
}

async function stopDiagnostics(api: Api, workers: Child[], dir: string, units: number): Promise<void> {
  const apiQueries = await api.call<Statements>('POST', '/bench/queries/stop', { expect: 200 });
  const { file } = await api.call<{ file: string }>('POST', '/bench/profile/stop', { body: { dir }, expect: 200 });
  const fromWorkers = await Promise.all(
    workers.map((w) => {
      const done = w.message<{ diagnosed: { file: string; queries: Statements; phases: Array<{ name: string; n: number; ms: number; maxMs: number }>; loopDelay: { p50: number; p99: number; max: number } | null } }>((m) => m?.diagnosed, 60_000, 'worker profiler stop');
      w.proc.send({ diag: 'stop', dir });
      return done;
    }),
  );
  const show = (who: string, profile: string | null, q: Statements) => {
    out(`-- ${who}: CPU profile over the pipeline's window: ${profile}`);
    if (profile) summarizeCpuProfile(profile, 25).forEach((l) => out('  ' + l));
    out(`-- ${who}: SQL statements per certificate (${units}): ${fmt(q.total / units, 2)}`);
    for (const st of q.statements.slice(0, 20)) out(`  ${fmt(st.n / units, 2).padStart(6)}  ${st.sql.length > 200 ? st.sql.slice(0, 200) + '…' : st.sql}`);
  };
  show('API', file, apiQueries);
  fromWorkers.forEach((d, i) => {
    show(`worker ${i + 1}`, d.diagnosed.file, d.diagnosed.queries);
    out(`-- worker ${i + 1}: wall time of the steps (calls, mean, max; concurrent jobs overlap)`);
    for (const ph of d.diagnosed.phases) out(`  ${ph.name}: ${ph.n} calls, mean ${fmt(ph.ms / ph.n, 1)} ms, max ${fmt(ph.maxMs)} ms`);
    const l = d.diagnosed.loopDelay;
    if (l) out(`  event-loop delay: p50 ${fmt(l.p50, 1)} ms, p99 ${fmt(l.p99, 1)} ms, max ${fmt(l.max)} ms`);
  });
}

async function runPipeline(server: ChildServer, s: Setup, workers: Child[], profileDir?: string): Promise<PipelineRun> {
  const api = new Api(server.baseUrl);
  if (profileDir) await startDiagnostics(api, workers);
  const progressPath = `/api/competitions/${s.competitionId}/certificates/progress`;
  const cpu0 = workers.map((w) => cpuSeconds(w.pid));
  const main0 = workers.map((w) => mainThreadSeconds(w.pid));
  const apiCpu0 = cpuSeconds(server.pid);
  const apiMain0 = mainThreadSeconds(server.pid);
  const redisCpu0 = await redisCpuSeconds(server.config.redisUrl);
  const recorder = process.env.BENCH_CERT_EXPERIMENT?.includes('no-sqlite-writes') ? await readyRecorder(server) : undefined;
  const requestedAt = Date.now();
  const t0 = process.hrtime.bigint();
  await api.call('POST', `/api/competitions/${s.competitionId}/transitions`, { token: s.adminToken, body: { to: 'finalized', force: true }, expect: 200 });
  const finalizeMs = since(t0);
  const db = new Database(server.config.database.sqlitePath, { readonly: true });
  db.pragma('busy_timeout = 10000');
  const awards = db.prepare("SELECT COUNT(*) FROM awards WHERE competition_id = ? AND status = 'issued'").pluck().get(s.competitionId) as number;
  db.close();
  let last: Progress = { total: 0, queued: 0, rendering: 0, ready: 0, failed: 0, revoked: 0 };
  let firstReadyMs = NaN;
  let lastChange = Date.now();
  let polls = 0;
  let pollMs = 0;
  let stalled = false;
  const watch = new Database(server.config.database.sqlitePath, { readonly: true });
  watch.pragma('busy_timeout = 10000');
  const countByStatus = watch.prepare('SELECT status, COUNT(*) AS n FROM certificates WHERE competition_id = ? GROUP BY status');
  const counted = (): Progress => {
    const p: Progress = { total: 0, queued: 0, rendering: 0, ready: 0, failed: 0, revoked: 0 };
    for (const r of countByStatus.all(s.competitionId) as Array<{ status: keyof Progress; n: number }>) {
      p[r.status] = r.n;
      p.total += r.n;
    }
    return p;
  };
  let nextPoll = 0;
  const mismatches: string[] = [];
  try {
    for (;;) {
      const p = counted();
      if (Date.now() >= nextPoll) {
        nextPoll = Date.now() + POLL_MS;
        const tp = process.hrtime.bigint();
        const fromApi = await api.call<Progress>('GET', progressPath, { token: s.organizerToken });
        pollMs += since(tp);
        polls++;
        // The API counts at least what the bench counted just before (certificates only move forward).
        if (fromApi.total !== p.total || fromApi.ready < p.ready) mismatches.push(`${JSON.stringify(fromApi)} vs ${JSON.stringify(p)}`);
      }
      if (p.ready > 0 && Number.isNaN(firstReadyMs)) firstReadyMs = since(t0);
      if (p.ready !== last.ready || p.failed !== last.failed) lastChange = Date.now();
      last = p;
      if (p.total >= awards && p.ready + p.failed + p.revoked >= awards) break;
      if (Date.now() - lastChange > STALL_MS) {
        stalled = true;
        break;
      }
      await new Promise((r) => setTimeout(r, WATCH_MS));
    }
  } finally {
    watch.close();
    if (recorder) out(`  EXPERIMENT no-sqlite-writes: ${await recorder.stop()}`);
  }
  if (mismatches.length) throw new Error(`the progress endpoint disagrees with the database: ${mismatches.slice(0, 3).join('; ')}`);
  // The finalize request went out at requestedAt (wall clock, as rendered_at): the pipeline ends with the last ready.
  const span = new Database(server.config.database.sqlitePath, { readonly: true });
  const readyAt = span.prepare("SELECT MIN(rendered_at) AS first, MAX(rendered_at) AS last FROM certificates WHERE competition_id = ? AND status = 'ready'").get(s.competitionId) as { first: string | null; last: string | null };
  span.close();
  const totalMs = readyAt.last ? sqliteDate(readyAt.last)!.getTime() - requestedAt : since(t0);
  if (readyAt.first) firstReadyMs = sqliteDate(readyAt.first)!.getTime() - requestedAt;
  const workerMem = workers.map((w) => procMemory(w.pid));
  const workerCpu = workers.map((w, i) => cpuSeconds(w.pid) - cpu0[i]);
  const workerMainCpu = workers.map((w, i) => mainThreadSeconds(w.pid) - main0[i]);
  const apiCpu = cpuSeconds(server.pid) - apiCpu0;
  const apiMainCpu = mainThreadSeconds(server.pid) - apiMain0;
  const redisCpu = (await redisCpuSeconds(server.config.redisUrl)) - redisCpu0;
  if (profileDir) await stopDiagnostics(api, workers, profileDir, last.ready);
  return {
    requestedAt,
    awards,
    finalizeMs,
    totalMs,
    firstReadyMs,
    last,
    stalled,
    workerMem,
    workerCpu,
    workerMainCpu,
    apiMainCpu,
    apiCpu,
    redisCpu,
    apiMem: server.memory(),
    polls,
    pollMs,
    windowLoad: loadAverage(),
  };
}


/**
 * Facts for the renderer-alone run before the pipeline, when no award exists yet: the competition's approved
 * entries as merit awards by entry order, with serials and ids of their own. The same people, names, employers and
 * issuer as the pipeline's certificates, so the PDFs are of the same kind and size.
 */
function previewFacts(sqlitePath: string, competitionId: string, publicBaseUrl: string): CertificateFacts[] {
  const db = new Database(sqlitePath, { readonly: true });
  const rows = db
    .prepare(
      `SELECT w.name AS name, eo.name AS employer, k.id AS competition_id, k.title AS title, k.level AS level, k.organization_id AS issuer_id, io.name AS issuer
         FROM enrolments e
         JOIN workers w ON w.id = e.worker_id
         JOIN competitions k ON k.id = e.competition_id
         LEFT JOIN organizations eo ON eo.id = w.employer_org_id
         LEFT JOIN organizations io ON io.id = k.organization_id
        WHERE e.competition_id = ? AND e.status = 'approved'
        ORDER BY e.id`,
    )
    .all(competitionId) as Array<Record<string, any>>;
  db.close();
  const issuedAt = new Date();
  return rows.map((r, i) => ({
    certificateId: randomUUID(),
    serial: `QZ-2026-${String(900000 + i).padStart(6, '0')}`,
    verifyUrl: `${publicBaseUrl}/verify/${randomBytes(16).toString('base64url')}`,
    award: { id: randomUUID(), type: 'merit', level: r.level, rank: i + 1, total: 9000 - (i % 5000), issuedAt },
    recipient: { name: r.name, employer: r.employer ?? null },
    competition: { id: r.competition_id, title: r.title, level: r.level },
    issuer: { id: r.issuer_id, name: r.issuer ?? '' },
  }));
}

interface BaselineRun {
  n: number;
  wallMs: number;
  bytes: number;
  renderMs: number;
  mem: Array<{ peakMiB: number; currentMiB: number } | undefined>;
  cpu: number[];
  /** The same, of the main (JavaScript) threads only. */
  mainCpu: number[];
  startLoad: string;
  endLoad: string;
}

/** The renderer alone on WORKERS processes, CONCURRENCY at a time each, over the pipeline's own facts. */
async function runBaseline(server: ChildServer, facts: CertificateFacts[], dir: string, outDir: string, profileDir?: string): Promise<BaselineRun> {
  const parts: CertificateFacts[][] = Array.from({ length: WORKERS }, () => []);
  facts.forEach((f, i) => parts[i % WORKERS].push(f));
  const children = parts.map((part, i) => {
    const file = path.join(dir, `facts-${i}.json`);
    fs.writeFileSync(file, JSON.stringify(part));
    const profile = profileDir ? { BENCH_PROFILE_DIR: profileDir } : {};
    return new Child(RENDER_ALONE_ENTRY, { ...server.env, ...profile, BENCH_FACTS_FILE: file, BENCH_OUT_DIR: outDir, BENCH_CONCURRENCY: String(CONCURRENCY) });
  });
  try {
    await Promise.all(children.map((c) => c.message((m) => m?.ready, 90_000, 'renderer-alone process start')));
    const startLoad = loadAverage();
    const t0 = process.hrtime.bigint();
    const done = children.map((c) => c.message<RenderAloneDone>((m) => m?.done, 60 * 60_000, 'renderer-alone run'));
    for (const c of children) c.proc.send({ go: true });
    const results = await Promise.all(done);
    const wallMs = since(t0);
    return {
      n: results.reduce((a, r) => a + r.n, 0),
      wallMs,
      bytes: results.reduce((a, r) => a + r.bytes, 0),
      renderMs: results.reduce((a, r) => a + r.renderMs, 0),
      mem: results.map((r) => ({ peakMiB: r.peakMiB, currentMiB: NaN })),
      cpu: results.map((r) => r.cpuSeconds),
      mainCpu: results.map((r) => r.mainCpuSeconds),
      startLoad,
      endLoad: loadAverage(),
    };
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}

interface FloorRun {
  n: number;
  wallMs: number;
  cpu: number[];
  producerCpu: number;
  redisCpu: number;
  mem: number[];
}

/**
 * The queue's floor: every certificate of `facts` as a BullMQ job (data: its index; the system's default job
 * options, ids like the system's) for WORKERS queue-floor processes of CONCURRENCY jobs each; timed from the first
 * add (every worker already waiting) until no job is waiting or active. This process is the producer (addBulk of
 * 500, as the outbox dispatcher sends up to 500 events per pass) and watches the queue's counts every 100 ms.
 */
async function runFloor(server: ChildServer, facts: CertificateFacts[], dir: string, outDir: string, profileDir?: string): Promise<FloorRun> {
  const file = path.join(dir, 'floor-facts.json');
  fs.writeFileSync(file, JSON.stringify(facts));
  const queueName = `${CERTIFICATES_QUEUE}-floor-${randomBytes(3).toString('hex')}`;
  const env = { ...server.env, BENCH_FACTS_FILE: file, BENCH_OUT_DIR: outDir, BENCH_CONCURRENCY: String(CONCURRENCY), BENCH_FLOOR_QUEUE: queueName, ...(profileDir ? { BENCH_PROFILE_DIR: profileDir } : {}) };
  const children = Array.from({ length: WORKERS }, () => new Child(QUEUE_FLOOR_ENTRY, env));
  const conn = new IORedis(server.config.redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(queueName, { connection: conn, prefix: server.config.queuePrefix });
  try {
    await Promise.all(children.map((c) => c.message((m) => m?.ready, 90_000, 'queue-floor process start')));
    const redis0 = await redisCpuSeconds(server.config.redisUrl);
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < facts.length; i += 500) {
      const ids = Array.from({ length: Math.min(500, facts.length - i) }, (_, k) => i + k);
      await queue.addBulk(ids.map((k) => ({ name: CERTIFICATE_JOBS.render, data: { i: k }, opts: { ...DEFAULT_JOB_OPTIONS, jobId: `certificate-floor-${k}` } })));
    }
    for (;;) {
      const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
      if (Object.values(c).every((x) => x === 0)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const wallMs = since(t0);
    const cpu = process.cpuUsage(cpu0);
    const redisCpu = (await redisCpuSeconds(server.config.redisUrl)) - redis0;
    const done = await Promise.all(
      children.map((c) => {
        const d = c.message<QueueFloorDone>((m) => m?.done, 60_000, 'queue-floor stop');
        c.proc.send({ stop: true });
        return d;
      }),
    );
    const failed = await queue.getJobCountByTypes('failed');
    if (failed) throw new Error(`queue floor: ${failed} jobs failed`);
    return { n: done.reduce((a, d) => a + d.n, 0), wallMs, cpu: done.map((d) => d.cpuSeconds), producerCpu: (cpu.user + cpu.system) / 1e6, redisCpu, mem: done.map((d) => d.peakMiB) };
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    conn.disconnect();
  }
}

interface Verification {
  lines: string[];
  ready: number;
  meanBytes: number;
}

/** Exactly one ready certificate per issued award, distinct serials, every PDF stored with its sha256, signatures valid. */
function verify(server: ChildServer, competitionId: string, requestedAt: number): Verification {
  const db = new Database(server.config.database.sqlitePath, { readonly: true });
  db.pragma('busy_timeout = 10000');
  const one = (sql: string) => db.prepare(sql).pluck().get(competitionId) as number;
  const awards = one("SELECT COUNT(*) FROM awards WHERE competition_id = ? AND status = 'issued'");
  const certificates = one('SELECT COUNT(*) FROM certificates WHERE competition_id = ?');
  const ready = one("SELECT COUNT(*) FROM certificates WHERE competition_id = ? AND status = 'ready'");
  const serials = one('SELECT COUNT(DISTINCT serial) FROM certificates WHERE competition_id = ?');
  const awardsWithCertificate = one("SELECT COUNT(DISTINCT award_id) FROM certificates WHERE competition_id = ? AND status = 'ready'");
  const attempts = one('SELECT COALESCE(SUM(attempts), 0) FROM certificates WHERE competition_id = ?');
  const outbox = db.prepare("SELECT COUNT(*) AS n, SUM(sent_at IS NOT NULL) AS sent, SUM(attempts > 1) AS retried FROM outbox_events WHERE type = 'certificate.render'").get() as { n: number; sent: number; retried: number };
  const errors = db.prepare("SELECT last_error FROM certificates WHERE competition_id = ? AND status <> 'ready' AND last_error IS NOT NULL LIMIT 3").pluck().all(competitionId) as string[];
  const stored = db.prepare("SELECT file_key, sha256 FROM certificates WHERE competition_id = ? AND status = 'ready'").all(competitionId) as Array<{ file_key: string; sha256: string }>;
  const medals = one("SELECT COUNT(*) FROM awards WHERE competition_id = ? AND type = 'may_day_medal'");
  const span = (sql: string, arg?: string) => {
    const r = (arg === undefined ? db.prepare(sql).get() : db.prepare(sql).get(arg)) as { a: string | null; b: string | null };
    const at = (v: string | null) => (v === null ? NaN : (sqliteDate(v)!.getTime() - requestedAt) / 1000);
    return `${fmt(at(r.a), 1)}–${fmt(at(r.b), 1)} s`;
  };
  const timeline = `  timeline after the finalize request: outbox events sent to BullMQ at ${span("SELECT MIN(sent_at) AS a, MAX(sent_at) AS b FROM outbox_events WHERE type = 'certificate.render'")}, certificates rendered at ${span('SELECT MIN(rendered_at) AS a, MAX(rendered_at) AS b FROM certificates WHERE competition_id = ?', competitionId)}`;
  db.close();
  let bytes = 0;
  let missing = 0;
  for (const r of stored) {
    try {
      bytes += fs.statSync(path.join(server.config.varDir, 'files', r.file_key)).size;
    } catch {
      missing++;
    }
  }
  // Signatures of a sample (first, middle, last), read back out of the stored PDFs as a verifier would.
  const signer = new CertificateSigner(server.config.certificates.signingSeed);
  const sample = stored.length ? [...new Set([0, Math.floor(stored.length / 2), stored.length - 1])].map((i) => stored[i]) : [];
  const validSignatures = sample.filter((r) => {
    const proof = extractProof(fs.readFileSync(path.join(server.config.varDir, 'files', r.file_key)));
    return !!proof && verifySignature(proof.payload, proof.signature, signer.publicKey);
  }).length;
  const ok = ready === awards && certificates === awards && serials === certificates && awardsWithCertificate === awards && missing === 0 && validSignatures === sample.length;
  const lines = [
    `check: ${awards} issued awards (${medals} May-Day medals, the rest merit), ${certificates} certificates, ${ready} ready, ${awardsWithCertificate} awards with a ready certificate, ${serials} distinct serials, ${missing} PDFs missing, ${validSignatures}/${sample.length} sampled signatures valid: ${ok ? 'OK' : 'FAILED'}`,
    `  render attempts ${attempts} for ${certificates} certificates (${attempts - certificates} re-renders); outbox: ${outbox.n} certificate events, ${outbox.sent} sent, ${outbox.retried} delivered after a failed attempt`,
  ];
  lines.push(timeline);
  if (errors.length) lines.push(`  errors: ${errors.map((e) => e.slice(0, 200)).join(' | ')}`);
  return { lines, ready, meanBytes: stored.length ? bytes / (stored.length - missing) : NaN };
}

const pct = (x: number) => `${fmt(100 * x, 1)} %`;

/**
 * Where the run's PDF files go: BENCH_FILES_DIR, else tmpfs (/dev/shm) when there is one, else the temp directory.
 * Not the disk by default: this machine kind's ext4 has no journal, and without one, creating a file skips (one by
 * one, from the start of the block group, at every creation) each inode of the group freed in the last minute, or six
 * while its inode-table block is dirty (find_inode_bit → recently_deleted). Every run deletes its 40,000 PDFs at the
 * end, so a run started within minutes of another paid up to ≈ 0.6 ms of kernel time per file, varying with the
 * phase's distance from that cleanup (measured in s10 with perf: 10 % of a worker's CPU; the renderer-alone runs
 * were hit too, by other amounts). The baselines and the pipeline write to the same place, so the comparison holds.
 */
function filesBase(): { base: string; why: string } {
  if (process.env.BENCH_FILES_DIR) return { base: process.env.BENCH_FILES_DIR, why: `under BENCH_FILES_DIR=${process.env.BENCH_FILES_DIR}` };
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    return { base: '/dev/shm', why: 'on tmpfs (/dev/shm), away from the disk, where creating a file right after a mass deletion is slow (BENCH_FILES_DIR=<dir> to measure elsewhere)' };
  } catch {
    return { base: os.tmpdir(), why: `under ${os.tmpdir()} (no /dev/shm)` };
  }
}

export async function certificatesBench(): Promise<void> {
  out(
    `${ENTRIES} entries, award rules ${JSON.stringify(AWARD_RULES)}; ${WORKERS} worker processes × CERT_WORKER_CONCURRENCY=${CONCURRENCY}; API in its own process, checkpointing SQLite every ${process.env.SQLITE_CHECKPOINT_MS ?? DEFAULT_CHECKPOINT_INTERVAL_MS} ms${process.env.BENCH_CERT_EXPERIMENT ? `; EXPERIMENT in the workers: ${process.env.BENCH_CERT_EXPERIMENT}` : ''}`,
  );
  const rnd = prng(20260501);
  const profileDir = process.env.BENCH_PROFILE ? fs.mkdtempSync(path.join(os.tmpdir(), 'contest-bench-profile-')) : undefined;
  const files = filesBase();
  const filesDir = fs.mkdtempSync(path.join(files.base, 'contest-bench-files-'));
  out(`PDF files (pipeline, renderer alone, floor): ${files.why}`);
  const server = await ChildServer.start({ filesDir: path.join(filesDir, 'server') });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'contest-bench-certs-'));
  const workers: Child[] = [];
  try {
    // ── seeding: not measured ───────────────────────────────────────────────
    const tSeed = process.hrtime.bigint();
    const s = await seed(server, rnd);
    out(`seeding, not measured: ${fmt(since(tSeed) / 1000, 1)} s (organizations, users, competition and its transitions through the API; ${ENTRIES} workers, entries, marks and standings inserted directly; locked and published through the API)`);

    // ── baseline before the pipeline: the renderer alone on the same people (no awards exist yet) ──
    // Run before and after the pipeline, so that a machine drifting faster or slower over the run (seen here: the
    // same renders' CPU time varied by ±15 % between minutes) weighs on the baseline as on the pipeline.
    const before = await runBaseline(server, previewFacts(server.config.database.sqlitePath, s.competitionId, server.config.publicBaseUrl), dir, path.join(filesDir, 'baseline-before'), profileDir);
    out(`renderer alone before the pipeline (${before.n} certificates of the same entries, serials of their own): ${fmt(before.wallMs / 1000, 1)} s, ${fmt(before.n / (before.wallMs / 1000), 1)} PDFs/s; load average ${before.startLoad} at the start, ${before.endLoad} at the end`);

    const workerEnv = { ...server.env, CERT_WORKER_CONCURRENCY: String(CONCURRENCY) };
    for (let i = 0; i < WORKERS; i++) workers.push(new Child(WORKER_ENTRY, workerEnv));
    const tBoot = process.hrtime.bigint();
    await Promise.all(workers.map((w) => w.message((m) => m?.ready, 90_000, 'worker start')));
    out(`${WORKERS} worker processes up in ${fmt(since(tBoot) / 1000, 1)} s, waiting for jobs; load average ${loadAverage()}`);

    // ── the pipeline: finalize → outbox → BullMQ → workers → ready ──────────
    const p = await runPipeline(server, s, workers, profileDir);
    out(`finalize request (final results, ${p.awards} awards, their certificates with serials and ${p.awards} outbox events in one transaction): ${fmt(p.finalizeMs)} ms`);
    out(
      `pipeline: ${p.last.ready} of ${p.awards} certificates ready ${fmt(p.totalMs / 1000, 1)} s after the finalize request (first at ${fmt(p.firstReadyMs / 1000, 1)} s; ${p.last.failed} failed, ${p.last.queued} queued, ${p.last.rendering} rendering${p.stalled ? `; STALLED: none ready for ${STALL_MS / 1000} s` : ''}); load average ${p.windowLoad} at the end`,
    );
    out(`  readiness counted in SQLite every ${WATCH_MS} ms; the progress endpoint asked ${p.polls} times (every ${POLL_MS / 1000} s, agreeing with the count), ${fmt(p.pollMs / Math.max(1, p.polls), 1)} ms per request on average`);
    await Promise.all(workers.map((w) => w.stop()));
    const failedJobs = workers.flatMap((w) => w.log.split('\n').filter((l) => l.includes('job failed') || l.includes('certificate not rendered')));
    if (failedJobs.length) out(`  worker warnings: ${failedJobs.length} job failures or unrendered certificates in the workers' last 20 KB of output (each retried by BullMQ), e.g. ${failedJobs[0].slice(0, 400)}`);
    if (workers.some((w) => w.exited?.code !== 0)) out(`  WARNING: worker exits ${JSON.stringify(workers.map((w) => w.exited))}; last output: ${workers.map((w) => w.log.slice(-500)).join(' | ')}`);

    const v = verify(server, s.competitionId, p.requestedAt);
    const facts = readFacts(server.config.database.sqlitePath, s.competitionId, server.config.publicBaseUrl);
    v.lines.forEach(out);

    const pipelineFacts = facts.filter((f) => f.sha256).map(({ sha256: _s, ...f }) => f);
    // ── the queue's floor: the same renders as BullMQ jobs, nothing else (between the pipeline and the second baseline) ──
    const floor = FLOOR ? await runFloor(server, pipelineFacts, dir, path.join(filesDir, 'floor-files'), profileDir) : undefined;
    if (floor) {
      out(
        `queue floor (the renderer alone as BullMQ jobs: no database, outbox or Nest; ${WORKERS} processes × ${CONCURRENCY} at a time, this process adding the jobs), the same ${floor.n} certificates: ${fmt(floor.wallMs / 1000, 1)} s, ${fmt(floor.n / (floor.wallMs / 1000), 1)} PDFs/s; load average ${loadAverage()} at the end`,
      );
    }

    // ── baseline: the renderer alone, same processes, same facts ────────────
    const outDir = path.join(filesDir, 'baseline-files');
    const after = await runBaseline(
      server,
      pipelineFacts,
      dir,
      outDir,
      profileDir,
    );
    let identical = 0;
    for (const f of facts) {
      if (!f.sha256) continue;
      try {
        const data = fs.readFileSync(path.join(outDir, 'certificates', `${f.serial}.pdf`));
        if (createHash('sha256').update(data).digest('hex') === f.sha256) identical++;
      } catch {
        // not rendered
      }
    }
    out(
      `renderer alone after the pipeline (CertificateRenderService.renderPdf + FileStore.put, no database or queue), ${WORKERS} processes × ${CONCURRENCY} at a time, the same ${after.n} certificates: ${fmt(after.wallMs / 1000, 1)} s, ${fmt(after.n / (after.wallMs / 1000), 1)} PDFs/s; ${identical} of ${after.n} PDFs byte-identical to the pipeline's; load average ${after.startLoad} at the start, ${after.endLoad} at the end`,
    );
    // The baseline of the figures: both renderer-alone runs together (PDFs over time, CPU, memory).
    const b: BaselineRun = {
      n: before.n + after.n,
      wallMs: before.wallMs + after.wallMs,
      bytes: before.bytes + after.bytes,
      renderMs: before.renderMs + after.renderMs,
      mem: after.mem.map((m, i) => ({ peakMiB: Math.max(m?.peakMiB ?? 0, before.mem[i]?.peakMiB ?? 0), currentMiB: NaN })),
      cpu: after.cpu.map((c, i) => c + (before.cpu[i] ?? 0)),
      mainCpu: after.mainCpu.map((c, i) => c + (before.mainCpu[i] ?? 0)),
      startLoad: before.startLoad,
      endLoad: after.endLoad,
    };

    // ── figures ─────────────────────────────────────────────────────────────
    const n = p.last.ready;
    const pipelineRate = n / (p.totalMs / 1000);
    const afterFinalizeRate = n / ((p.totalMs - p.finalizeMs) / 1000);
    const baselineRate = b.n / (b.wallMs / 1000);
    const overhead = 1 - pipelineRate / baselineRate;
    const goal = (TARGET.seconds * ENTRIES) / TARGET.forEntries;
    out(`pipeline PDFs/s (from the finalize request): ${fmt(pipelineRate, 1)}`);
    out(`renderer-alone PDFs/s (before and after together): ${fmt(baselineRate, 1)}  (${fmt(b.renderMs / b.n, 1)} ms of renderPdf per PDF, summed over concurrent renders)`);
    out(`queue overhead 1 − pipeline/renderer: ${pct(overhead)} ${target(100 * overhead, '<=', TARGET.overheadPct, ' %')}`);
    // The same two figures read the other way: how much longer than the renderer alone the pipeline took.
    out(`  read as extra time (pipeline time ÷ renderer time − 1): ${pct(baselineRate / pipelineRate - 1)}`);
    out(`  after the finalize answer only (outbox, queue, workers): ${fmt(afterFinalizeRate, 1)} PDFs/s, overhead ${pct(1 - afterFinalizeRate / baselineRate)}`);
    out(
      `total time: ${fmt(p.totalMs / 1000, 1)} s ${target(p.totalMs / 1000, '<=', Math.round(goal * 10) / 10, ' s')}${ENTRIES === TARGET.forEntries ? '' : ` (the target of ${TARGET.seconds} s for ${TARGET.forEntries}, scaled to ${ENTRIES})`}`,
    );
    out(`finalize request: ${fmt(p.finalizeMs)} ms (${pct(p.finalizeMs / p.totalMs)} of the total)`);
    out(`PDF size: mean ${fmt(v.meanBytes)} bytes (renderer alone: ${fmt(b.bytes / b.n)} bytes)`);
    const cpuPipeline = p.workerCpu.reduce((a, x) => a + x, 0);
    const cpuBaseline = b.cpu.reduce((a, x) => a + x, 0);
    out(
      `CPU per PDF: workers ${fmt((1000 * cpuPipeline) / n, 2)} ms + API ${fmt((1000 * p.apiCpu) / n, 2)} ms (finalize, outbox dispatch, progress) + Redis ${fmt((1000 * p.redisCpu) / n, 2)} ms vs renderer alone ${fmt((1000 * cpuBaseline) / b.n, 2)} ms; ratio (workers+API+Redis)/renderer ${fmt((cpuPipeline + p.apiCpu + (Number.isNaN(p.redisCpu) ? 0 : p.redisCpu)) / n / (cpuBaseline / b.n), 2)}`,
    );
    {
      const main = p.workerMainCpu.reduce((a, x) => a + x, 0);
      const baseMain = b.mainCpu.reduce((a, x) => a + x, 0);
      out(`  of which the main (JavaScript) threads: workers ${fmt((1000 * main) / n, 2)} ms, other threads ${fmt((1000 * (cpuPipeline - main)) / n, 2)} ms; API ${fmt((1000 * p.apiMainCpu) / n, 2)} ms and ${fmt((1000 * (p.apiCpu - p.apiMainCpu)) / n, 2)} ms; renderer alone ${fmt((1000 * baseMain) / b.n, 2)} ms and ${fmt((1000 * (cpuBaseline - baseMain)) / b.n, 2)} ms`);
    }
    if (floor) {
      const floorRate = floor.n / (floor.wallMs / 1000);
      const floorCpu = floor.cpu.reduce((a, x) => a + x, 0);
      out(`queue floor PDFs/s (BullMQ alone): ${fmt(floorRate, 1)}; its overhead 1 − floor/renderer: ${pct(1 - floorRate / baselineRate)}`);
      out(`  what the system adds over BullMQ alone (1 − pipeline/floor): ${pct(1 - pipelineRate / floorRate)}; after the finalize answer only: ${pct(1 - afterFinalizeRate / floorRate)}`);
      out(
        `  floor CPU per PDF: workers ${fmt((1000 * floorCpu) / floor.n, 2)} ms + producer ${fmt((1000 * floor.producerCpu) / floor.n, 2)} ms + Redis ${fmt((1000 * floor.redisCpu) / floor.n, 2)} ms; ratio to the renderer alone ${fmt((floorCpu + floor.producerCpu + (Number.isNaN(floor.redisCpu) ? 0 : floor.redisCpu)) / floor.n / (cpuBaseline / b.n), 2)}`,
      );
    }
    out(
      `worker processes' peak RSS (VmHWM): ${p.workerMem.map(mib).join(', ')}; renderer-alone processes: ${b.mem.map(mib).join(', ')}${floor ? `; queue-floor processes: ${floor.mem.map((m) => mib({ peakMiB: m })).join(', ')}` : ''}; API during the pipeline: ${mib(p.apiMem)}`,
    );
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    const mem = await server.stop({ keepData: Boolean(process.env.BENCH_KEEP) });
    if (process.env.BENCH_KEEP) out(`server directory (BENCH_KEEP=1, kept): ${server.dir}`);
    if (mem) out(`API peak RSS over the whole run (VmHWM, setup included): ${mib(mem)}`);
    // BENCH_KEEP=1: the run's directory (SQLite file, PDFs) stays, for a look afterwards.
    if (process.env.BENCH_KEEP) out(`run directory (BENCH_KEEP=1, kept): ${dir}; PDF files: ${filesDir}`);
    else {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(filesDir, { recursive: true, force: true });
    }
    if (profileDir) out(`CPU profiles (BENCH_PROFILE=1, kept): ${profileDir}`);
  }
}
