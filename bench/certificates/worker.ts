/**
 * A certificate worker process of `npm run bench:certificates`: src/worker.ts (AppModule with workers, no
 * HTTP) that also tells its parent over IPC when it is up, so that the measured window starts with every
 * worker waiting for jobs. Configured by the environment like src/worker.ts (the parent passes the bench
 * server's VAR_DIR, SQLITE_PATH, QUEUE_PREFIX and CERT_WORKER_CONCURRENCY).
 *
 * BENCH_PROFILE diagnostics over exactly the measured window, on IPC messages from the parent:
 * `{diag: 'start'}` starts the V8 sampling profiler (node:inspector) and counts SQL statements;
 * `{diag: 'stop', dir}` writes the .cpuprofile into dir and answers `{diagnosed: {file, queries, phases, loopDelay}}`:
 * also where a job's time goes (wall time of each step, summed over jobs: the database steps include waiting
 * for the in-process serial lock and for SQLite's write lock held by another process) and the event loop's
 * delay (a synchronous SQLite call waiting out a busy lock blocks the whole process).
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import * as fs from 'node:fs';
import { Session } from 'node:inspector';
import * as path from 'node:path';
import { IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { Job } from 'bullmq';
import { Logger } from 'nestjs-pino';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { exitAfterFailedBoot, installShutdown } from '../../src/common/shutdown';
import { loadConfigOrExit } from '../../src/config/load-config';
import { Db } from '../../src/database/db.service';
import { CertificateRenderService } from '../../src/modules/certificates/certificate-render.service';
import { LocalFileStore } from '../../src/modules/files/file-store';
import { JOB_SQL, jobOf } from '../../src/modules/certificates/certificate-facts';
import { certificateFileKey } from '../../src/modules/certificates/certificates.queue';
import { OutboxDispatcher } from '../../src/modules/queue/outbox.dispatcher';

type Runner = { query(q: string, ...rest: unknown[]): Promise<unknown> };

function post(session: Session, method: string, params?: object): Promise<unknown> {
  return new Promise((resolve, reject) => session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result))));
}

export interface Phase {
  n: number;
  ms: number;
  maxMs: number;
}

/** Wall time of a prototype method's calls (promises awaited), summed while `on()`. */
function timeMethod(proto: object, name: string, phases: Map<string, Phase>, label: string, on: () => boolean): void {
  const original = (proto as Record<string, (...a: unknown[]) => unknown>)[name];
  (proto as Record<string, unknown>)[name] = function (this: unknown, ...args: unknown[]) {
    if (!on()) return original.apply(this, args);
    const t0 = performance.now();
    const done = () => {
      const ms = performance.now() - t0;
      const p = phases.get(label) ?? { n: 0, ms: 0, maxMs: 0 };
      p.n++;
      p.ms += ms;
      p.maxMs = Math.max(p.maxMs, ms);
      phases.set(label, p);
    };
    const r = original.apply(this, args);
    if (r && typeof (r as Promise<unknown>).then === 'function') return (r as Promise<unknown>).finally(done);
    done();
    return r;
  };
}

/** Profiler and statement counter of this process, driven by the parent. */
function diagnostics(ds: DataSource): (m: { diag?: string; dir?: string }) => Promise<void> {
  let session: Session | undefined;
  let counting = false;
  const counts = new Map<string, number>();
  let patched = false;
  const phases = new Map<string, Phase>();
  let loop: IntervalHistogram | undefined;
  const patch = () => {
    if (patched) return;
    patched = true;
    const on = () => counting;
    timeMethod(CertificateRenderService.prototype, 'render', phases, 'job: CertificateRenderService.render (all of it)', on);
    timeMethod(CertificateRenderService.prototype, 'renderPdf', phases, '  renderPdf (template, signature, QR, PDF)', on);
    timeMethod(LocalFileStore.prototype, 'put', phases, '  FileStore.put', on);
    timeMethod(Db.prototype, 'transaction', phases, '  Db.transaction', on);
    timeMethod(Db.prototype, 'run', phases, '  Db.run (TypeORM: statements off the hot path)', on);
    timeMethod(Db.prototype, 'rows', phases, '  Db.rows (the job\'s claim and read)', on);
    timeMethod(Db.prototype, 'exec', phases, '  Db.exec (the job\'s ready statement)', on);
    timeMethod(Job.prototype, 'updateProgress', phases, '  job.updateProgress (Redis)', on);
    const proto = Object.getPrototypeOf(ds.createQueryRunner()) as Runner;
    const query = proto.query;
    proto.query = function (this: Runner, q: string, ...rest: unknown[]) {
      if (counting) {
        const key = q.replace(/(\?|\$\d+)(\s*,\s*(\?|\$\d+))+/g, '?…').replace(/\s+/g, ' ');
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return query.call(this, q, ...rest);
    };
    // Db.rows/Db.exec run their statements on better-sqlite3 directly: counted here.
    for (const name of ['rows', 'exec'] as const) {
      const original = Db.prototype[name] as (this: Db, sql: string, params?: readonly unknown[]) => Promise<unknown>;
      (Db.prototype as unknown as Record<string, unknown>)[name] = function (this: Db, sql: string, params?: readonly unknown[]) {
        if (counting) {
          const key = sql.replace(/\s+/g, ' ');
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
        return original.call(this, sql, params);
      };
    }
  };
  return async (m) => {
    if (m.diag === 'start') {
      patch();
      counts.clear();
      phases.clear();
      loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
      counting = true;
      session = new Session();
      session.connect();
      await post(session, 'Profiler.enable');
      await post(session, 'Profiler.setSamplingInterval', { interval: 250 });
      await post(session, 'Profiler.start');
      process.send?.({ diagnosing: true });
    } else if (m.diag === 'stop' && m.dir) {
      counting = false;
      loop?.disable();
      const loopDelay = loop ? { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 } : null;
      let file: string | null = null;
      if (session) {
        const { profile } = (await post(session, 'Profiler.stop')) as { profile: unknown };
        session.disconnect();
        session = undefined;
        file = path.join(m.dir, `worker-${process.pid}.cpuprofile`);
        fs.writeFileSync(file, JSON.stringify(profile));
      }
      const statements = [...counts].sort((a, b) => b[1] - a[1]).map(([sql, n]) => ({ n, sql }));
      process.send?.({ diagnosed: { file, queries: { total: statements.reduce((a, s) => a + s.n, 0), statements }, phases: [...phases].map(([name, p]) => ({ name, ...p })), loopDelay } });
    }
  };
}

/**
 * BENCH_CERT_EXPERIMENT (comma-separated), to size a proposed change before it is made in src/:
 * `no-progress` makes job.updateProgress a no-op (the render job reports progress once, a Redis script);
 * `stub-render` renders one PDF and hands it out for every certificate (the overhead alone, see below);
 * `no-dispatch` leaves the outbox to the API: the workers' OutboxDispatcher does not start;
 * `no-sqlite-writes` sizes workers that write nothing to SQLite (no claim, no ready statement): the job reads its
 * certificate and facts, renders, stores and returns the ready columns, and the bench process stores the ready states
 * in batches from the queue's completion events (certificates.bench.ts, readyRecorder).
 */
function experiments(): string[] {
  const list = (process.env.BENCH_CERT_EXPERIMENT ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  if (list.includes('no-progress')) Job.prototype.updateProgress = () => Promise.resolve();
  if (list.includes('no-dispatch')) OutboxDispatcher.prototype.onApplicationBootstrap = () => undefined;
  if (list.includes('no-sqlite-writes')) {
    // The job writes nothing to SQLite: it reads its certificate and facts (no claim), renders, stores the file and
    // returns what the ready statement would have written; the bench process records the ready states in batches
    // from the queue's completion events (what the API would do in that design).
    CertificateRenderService.prototype.render = async function (this: any, certificateId: string, _final: boolean, progress: (p: any) => void = () => undefined) {
      const [row] = await this.db.rows(JOB_SQL, [certificateId]);
      if (!row) return { certificateId, status: 'skipped', reason: 'gone' };
      const job = jobOf(this.db.dataSource, row, this.config.publicBaseUrl);
      if (!job.facts || !['queued', 'rendering'].includes(job.c.status)) return { certificateId, status: 'skipped', reason: job.c.status };
      const out = await this.renderPdf(job.facts);
      const stored = await this.files.put(certificateFileKey(job.c.serial), out.pdf);
      progress({ stage: 'ready', percent: 100, serial: job.c.serial });
      return { certificateId, status: 'ready', serial: job.c.serial, sha256: stored.sha256, bytes: out.pdf.length, fileKey: stored.key, payload: out.payload, signature: out.signature, keyId: this.signer.info.kid, templateVersion: out.templateVersion };
    } as never;
  }
  if (list.includes('stub-render')) {
    // Everything but the PDF: the first certificate is rendered, every later one gets that output again, so the
    // workers' CPU per certificate is the queue's and the database's share alone.
    const render = CertificateRenderService.prototype.renderPdf;
    let first: ReturnType<typeof render> | undefined;
    CertificateRenderService.prototype.renderPdf = function (this: CertificateRenderService, facts) {
      first ??= render.call(this, facts);
      return first;
    };
  }
  return list;
}

async function bootstrap(): Promise<void> {
  experiments();
  const config = loadConfigOrExit();
  const shutdown = installShutdown(15_000);
  try {
    const ctx = await NestFactory.createApplicationContext(AppModule.forRoot(config, { api: false, workers: true }), { bufferLogs: true, abortOnError: false });
    ctx.useLogger(ctx.get(Logger));
    shutdown.attach(ctx);
    await ctx.init();
    const diag = diagnostics(ctx.get(DataSource));
    process.on('message', (m: { diag?: string; dir?: string }) => void diag(m).catch((e: Error) => process.stderr.write(`diagnostics failed: ${e.message}\n`)));
    process.send?.({ ready: true });
  } catch (e) {
    await exitAfterFailedBoot(shutdown, 'bench worker', e);
  }
}

void bootstrap();
