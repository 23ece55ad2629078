import { Body, Controller, Get, Header, HttpCode, Module, Post, Put } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { Session } from 'node:inspector';
import * as path from 'node:path';
import { Public } from '../../src/common/auth/decorators';
import { Db } from '../../src/database/db.service';
import { AuditEntry } from '../../src/modules/audit/audit-entry.entity';
import { JudgingService } from '../../src/modules/scoring/judging.service';

/**
 * A ranking-like body of 100 rows, used until a benchmark replaces it (PUT /bench/constant) with the
 * real top-100 answer, so that the ceiling sends a body of the same shape and size.
 */
function syntheticTop100(): unknown {
  const items = Array.from({ length: 100 }, (_, i) => ({
    rank: i + 1,
    enrolmentId: randomUUID(),
    bib: 1000 + i,
    station: String(1000 + i),
    name: '张*明',
    organization: '国网衢州供电公司工会',
    total: 9000 - i * 7,
    sections: { theory: 8800 - i * 5, practical: 9100 - i * 8 },
    timeUsedSeconds: 3000 + i,
    penalties: 0,
    complete: true,
  }));
  return { competitionId: randomUUID(), status: 'in_progress', total: 10000, limit: 100, offset: 0, items };
}

/**
 * Bench-only routes, booted next to the real AppModule by bench/server/main.ts (never by the
 * application): the ceilings the HTTP benchmarks compare against.
 */
@Controller('bench')
class BenchController {
  /** JSON text, serialized once: the route only sends it. */
  private constant = JSON.stringify(syntheticTop100());

  constructor(
    private readonly db: Db,
    private readonly refs: ModuleRef,
  ) {}

  /** The group commits of mark submissions so far (SQLite): groups, requests, fallbacks. */
  @Public()
  @Get('judging/groups')
  groups() {
    return { ...this.refs.get(JudgingService, { strict: false }).groupCommits };
  }

  /** Exactly one insert through Db.run (SQLite serial lock, TypeORM), nothing else. */
  @Public()
  @Post('insert')
  @HttpCode(200)
  async insert() {
    const id = randomUUID();
    await this.db.run((m) => m.insert(AuditEntry, { id, actorId: null, action: 'bench.insert', entityType: 'bench', entityId: id }));
    return { id };
  }

  /** A constant JSON body, precomputed: no per-request serialization (what a cached page of a read route could cost). */
  @Public()
  @Get('constant')
  @Header('Content-Type', 'application/json; charset=utf-8')
  constantBody() {
    return this.constant;
  }

  /** The benchmark hands over the real top-100 answer so that the constant matches its size. */
  @Public()
  @Put('constant')
  @HttpCode(200)
  setConstant(@Body() body: unknown) {
    this.constant = JSON.stringify(body);
    return { bytes: Buffer.byteLength(this.constant) };
  }
}

/**
 * CPU profile of exactly a measured window (BENCH_PROFILE=1): the V8 sampling profiler of this
 * process, started and stopped over node:inspector, written as a .cpuprofile (Chrome DevTools format).
 */
@Controller('bench/profile')
class ProfileController {
  private session?: Session;

  @Public()
  @Post('start')
  @HttpCode(200)
  async start() {
    this.session?.disconnect();
    const session = new Session();
    session.connect();
    this.session = session;
    await post(session, 'Profiler.enable');
    await post(session, 'Profiler.setSamplingInterval', { interval: 250 });
    await post(session, 'Profiler.start');
    return { started: true };
  }

  @Public()
  @Post('stop')
  @HttpCode(200)
  async stop(@Body() body: { dir: string }) {
    const session = this.session;
    if (!session) return { file: null };
    const { profile } = (await post(session, 'Profiler.stop')) as { profile: unknown };
    session.disconnect();
    this.session = undefined;
    const file = path.join(body.dir, `server-${process.pid}-${Date.now()}.cpuprofile`);
    fs.writeFileSync(file, JSON.stringify(profile));
    return { file };
  }
}

type Runner = { query(q: string, ...rest: unknown[]): Promise<unknown>; getStmt?(q: string): Promise<unknown>; stmtCache?: Map<string, unknown> };

/**
 * SQL statements issued between start and stop (BENCH_PROFILE=1): how many, which, and how many had
 * to be prepared anew (a miss in TypeORM's per-connection statement cache). Bench-only diagnostics.
 */
@Controller('bench/queries')
class QueryCountController {
  private counting = false;
  private readonly counts = new Map<string, number>();
  /** Milliseconds from each call to its answer, summed per text (the statement runs synchronously inside). */
  private readonly millis = new Map<string, number>();
  private prepares = 0;
  private patched = false;

  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Wraps the query runner's methods, once, on the first start: runs without diagnostics run TypeORM untouched. */
  private patch(): void {
    if (this.patched) return;
    this.patched = true;
    const runner = this.ds.createQueryRunner() as unknown as Runner;
    const proto = Object.getPrototypeOf(runner) as Runner;
    const query = proto.query;
    const getStmt = proto.getStmt;
    const self = this;
    proto.query = function (this: Runner, q: string, ...rest: unknown[]) {
      if (!self.counting) return query.call(this, q, ...rest);
      const key = q.replace(/(\?|\$\d+)(\s*,\s*(\?|\$\d+))+/g, '?…').replace(/\s+/g, ' ');
      self.counts.set(key, (self.counts.get(key) ?? 0) + 1);
      const t0 = performance.now();
      const done = () => self.millis.set(key, (self.millis.get(key) ?? 0) + performance.now() - t0);
      const answer = query.call(this, q, ...rest);
      answer.then(done, done);
      return answer;
    };
    if (getStmt) {
      proto.getStmt = function (this: Runner, q: string) {
        if (self.counting && !this.stmtCache?.has(q)) self.prepares++;
        return getStmt.call(this, q);
      };
    }
  }

  @Public()
  @Post('start')
  @HttpCode(200)
  start() {
    this.patch();
    this.counts.clear();
    this.millis.clear();
    this.prepares = 0;
    this.counting = true;
    return { counting: true };
  }

  @Public()
  @Post('stop')
  @HttpCode(200)
  stop() {
    this.counting = false;
    const statements = [...this.counts].sort((a, b) => b[1] - a[1]).map(([sql, n]) => ({ n, sql, ms: Math.round(this.millis.get(sql) ?? 0) }));
    return { total: statements.reduce((a, s) => a + s.n, 0), distinct: statements.length, prepares: this.prepares, statements };
  }
}

function post(session: Session, method: string, params?: object): Promise<unknown> {
  return new Promise((resolve, reject) => session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result))));
}

@Module({ controllers: [BenchController, ProfileController, QueryCountController] })
export class BenchRoutesModule {}
