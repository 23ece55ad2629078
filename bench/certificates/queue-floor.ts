/**
 * Child of `npm run bench:certificates`: the queue's floor. The renderer alone (render-alone.ts) fed through
 * BullMQ, with nothing of the system around it: a BullMQ Worker with the workers' connection options and
 * concurrency whose job renders the certificate of its index (CertificateRenderService.renderPdf), stores it
 * (FileStore.put), reports its progress without waiting (as CertificateRenderHandler does) and returns an
 * outcome of the real job's shape. No database, no Nest, no outbox: what BullMQ alone costs per certificate
 * (its scripts in Redis, the worker's round trips, ioredis), to tell it apart from what the system adds.
 *
 * Protocol (IPC): the parent gives BENCH_FACTS_FILE (every certificate's facts; the job's data is an index into
 * them), BENCH_OUT_DIR, BENCH_CONCURRENCY, BENCH_FLOOR_QUEUE (queue name) and the server's environment
 * (REDIS_URL, QUEUE_PREFIX, VAR_DIR for the signing key and fonts). The child parses the fonts, starts its
 * worker, sends {ready}; on {stop} it closes the worker and sends {done, n, cpuSeconds, peakMiB}, CPU counted
 * from {ready} (the parent adds the jobs after every child is ready).
 */
import 'reflect-metadata';
import { Job, Worker } from 'bullmq';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../../src/config/load-config';
import { certificateFileKey } from '../../src/modules/certificates/certificates.queue';
import { LocalFileStore } from '../../src/modules/files/file-store';
import { workerConnectionOptions } from '../../src/modules/queue/redis-connections';
import { bareRenderer, reviveFacts, startProfile } from './render-alone';

export interface QueueFloorDone {
  done: true;
  /** Jobs this process completed. */
  n: number;
  cpuSeconds: number;
  peakMiB: number;
}

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const facts = reviveFacts(fs.readFileSync(process.env.BENCH_FACTS_FILE!, 'utf8'));
  const files = new LocalFileStore(process.env.BENCH_OUT_DIR!);
  const renderer = bareRenderer(config, files);
  let n = 0;
  const worker = new Worker(
    process.env.BENCH_FLOOR_QUEUE!,
    async (job: Job<{ i: number }>) => {
      const f = facts[job.data.i];
      const started = performance.now();
      const out = await renderer.renderPdf(f);
      const stored = await files.put(certificateFileKey(f.serial), out.pdf);
      void job.updateProgress({ stage: 'ready', percent: 100, serial: f.serial }).catch(() => undefined);
      n++;
      return { certificateId: f.certificateId, status: 'ready', serial: f.serial, sha256: stored.sha256, bytes: out.pdf.length, ms: Math.round(performance.now() - started) };
    },
    {
      connection: workerConnectionOptions(config.redisUrl),
      prefix: config.queuePrefix,
      concurrency: Math.max(1, Number(process.env.BENCH_CONCURRENCY ?? 1)),
      autorun: true,
      lockDuration: config.queue.lockDurationMs,
      stalledInterval: config.queue.stalledIntervalMs,
    },
  );
  worker.on('error', (e) => process.stderr.write(`queue-floor worker: ${e.message}\n`));
  await worker.waitUntilReady();
  // BENCH_PROFILE_DIR (set by the parent under BENCH_PROFILE): a CPU profile, to compare with the workers'.
  const profiling = process.env.BENCH_PROFILE_DIR ? await startProfile() : undefined;
  const cpu0 = process.cpuUsage();
  process.on('message', (m: { stop?: boolean }) => {
    if (!m?.stop) return;
    const cpu = process.cpuUsage(cpu0);
    void worker.close().then(async () => {
      if (profiling) await profiling(path.join(process.env.BENCH_PROFILE_DIR!, `queue-floor-${process.pid}.cpuprofile`));
      const done: QueueFloorDone = { done: true, n, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakMiB: process.resourceUsage().maxRSS / 1024 };
      process.send!(done, () => process.exit(0));
    });
  });
  process.send!({ ready: true });
}

main().catch((e) => {
  process.stderr.write(`queue-floor failed: ${(e as Error).stack}\n`);
  process.exit(1);
});
