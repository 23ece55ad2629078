/**
 * `npm run bench`: every scenario prints its figure and the ratio to a baseline measured in the same
 * run on the same machine (machines here are noisy; absolute numbers mean little), with the
 * targets of the issues as PASS/MISS (never an exit failure).
 * `npm run bench -- marks` (or `npm run bench:marks`) runs one scenario. The HTTP scenarios start the
 * API as a child process on 127.0.0.1 (bench/server/main.ts) and need Redis, like the tests.
 * BENCH_SECONDS=n changes the measured window of the HTTP loads (default 10 s);
 * BENCH_PROFILE=1 adds a CPU profile of the server during the measured marks load (certificates: of the
 * API and the workers over the whole run).
 * certificates: BENCH_CERTIFICATES=n entries (default 10,000), BENCH_CERT_WORKERS worker processes (default 2),
 * BENCH_CERT_CONCURRENCY jobs at once per worker (CERT_WORKER_CONCURRENCY).
 */
import 'reflect-metadata';
import * as os from 'node:os';
import { certificatesBench } from './certificates.bench';
import { dbTransactionsBench } from './db-transactions.bench';
import { marksBench } from './marks.bench';
import { rankingBench } from './ranking.bench';

const scenarios: Record<string, () => Promise<void>> = {
  'db-transactions': dbTransactionsBench,
  marks: marksBench,
  ranking: rankingBench,
  certificates: certificatesBench,
};

/** Other processes on this machine (tests, builds) skew absolute figures: say how busy it was. */
const loadAverage = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const unknown = only.filter((n) => !(n in scenarios));
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${Object.keys(scenarios).join(', ')}`);
  const t0 = Date.now();
  for (const [name, run] of Object.entries(scenarios)) {
    if (only.length && !only.includes(name)) continue;
    process.stdout.write(`\n== ${name}  (load average ${loadAverage()} on ${os.cpus().length} cores at the start)\n`);
    const t = Date.now();
    await run();
    process.stdout.write(`(${name}: ${((Date.now() - t) / 1000).toFixed(0)} s; load average ${loadAverage()} at the end)\n`);
  }
  process.stdout.write(`\npeak RSS of this process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB; ${((Date.now() - t0) / 1000).toFixed(0)} s in all\n`);
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${(e as Error).stack}\n`);
  process.exit(1);
});
