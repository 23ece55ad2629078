import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Api } from './api';
import { summarizeCpuProfile } from './cpu-profile';
import { fmt, out } from './report';

/** BENCH_PROFILE=1: a directory (kept) for the CPU profiles of the server. */
export function profileDirFromEnv(): string | undefined {
  return process.env.BENCH_PROFILE ? fs.mkdtempSync(path.join(os.tmpdir(), 'contest-bench-profile-')) : undefined;
}

/**
 * With BENCH_PROFILE=1: a CPU profile of the server and a count of its SQL statements over the
 * measured window (both cost some throughput, so take figures from runs without it). `run` gets the
 * function to call when its window opens.
 */
export async function diagnosed<R>(api: Api, profileDir: string | undefined, name: string, units: (r: R) => number, run: (onWindowStart?: () => void) => Promise<R>): Promise<R> {
  if (!profileDir) return run();
  let started: Promise<unknown> | undefined;
  const r = await run(() => {
    started = Promise.all([api.call('POST', '/bench/profile/start', { expect: 200 }), api.call('POST', '/bench/queries/start', { expect: 200 })]);
  });
  if (!started) throw new Error('the measured window never opened');
  await started;
  const q = await api.call<{ total: number; distinct: number; prepares: number; statements: Array<{ n: number; sql: string; ms: number }> }>('POST', '/bench/queries/stop', { expect: 200 });
  const { file } = await api.call<{ file: string }>('POST', '/bench/profile/stop', { body: { dir: profileDir }, expect: 200 });
  const n = Math.max(1, units(r));
  out(`-- ${name}: CPU profile of the server over the measured window: ${file}`);
  summarizeCpuProfile(file, 30).forEach((l) => out('  ' + l));
  out(`-- ${name}: SQL statements per unit (${n} units): ${fmt(q.total / n, 1)}, ${q.distinct} distinct texts, ${fmt(q.prepares / n, 2)} statement prepares (TypeORM statement-cache misses) per unit`);
  const short = (sql: string) => (sql.length > 200 ? sql.slice(0, 200) + '…' : sql);
  for (const st of q.statements.slice(0, 30)) out(`  ${fmt(st.n / n, 2).padStart(6)}  ${short(st.sql)}`);
  // Texts that differ only in how many rows or terms they carry (multi-row VALUES, OR-ed lookups) count as one.
  const shapeOf = (sql: string) => sql.replace(/\(\?…\)(, \(\?…\))+/g, '(?…)…').replace(/(\([^()]*\?[^()]*\))( OR \([^()]*\?[^()]*\))+/g, '$1 OR …');
  const shapes = new Map<string, { n: number; ms: number; texts: number }>();
  for (const st of q.statements) {
    const k = shapeOf(st.sql);
    const x = shapes.get(k) ?? { n: 0, ms: 0, texts: 0 };
    x.n += st.n;
    x.ms += st.ms;
    x.texts++;
    shapes.set(k, x);
  }
  const totalMs = [...shapes.values()].reduce((a, x) => a + x.ms, 0);
  out(`-- ${name}: time in TypeORM statements, call to answer, summed over the window: ${totalMs} ms (${fmt(totalMs / n, 3)} ms per unit); by statement (ms, calls, distinct texts):`);
  for (const [sql, x] of [...shapes].sort((a, b) => b[1].ms - a[1].ms).slice(0, 14)) out(`  ${String(x.ms).padStart(7)}  ${String(x.n).padStart(6)}×  ${String(x.texts).padStart(4)}  ${short(sql)}`);
  return r;
}
