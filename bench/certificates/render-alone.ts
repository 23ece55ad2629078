/**
 * Baseline child of `npm run bench:certificates`: the renderer alone, in a process of its own. The same
 * code the certificate job runs between its two database steps — CertificateRenderService.renderPdf
 * (template, canonical JSON, Ed25519 signature, QR code, PDF) and FileStore.put (write, rename, sha256) —
 * over certificate facts read from a file, with no database and no queue.
 *
 * Protocol (IPC): the parent gives BENCH_FACTS_FILE (JSON array of CertificateFacts), BENCH_OUT_DIR and
 * BENCH_CONCURRENCY in the environment (plus the server's VAR_DIR, so the signing key and fonts are the
 * same). The child parses the fonts (what a worker does at boot), sends {ready}, waits for {go}, renders
 * every certificate of its file `BENCH_CONCURRENCY` at a time, and sends {done, n, bytes, ms, renderMs, cpuSeconds, peakMiB}.
 */
import 'reflect-metadata';
import * as fs from 'node:fs';
import { Session } from 'node:inspector';
import * as path from 'node:path';
import type { AppConfig } from '../../src/config/app-config';
import { loadConfig } from '../../src/config/load-config';
import { CertificateRenderService } from '../../src/modules/certificates/certificate-render.service';
import { certificateFileKey } from '../../src/modules/certificates/certificates.queue';
import type { CertificateFacts } from '../../src/modules/certificates/render/certificate-payload';
import { CertificateSigner } from '../../src/modules/certificates/render/signing';
import { LocalFileStore } from '../../src/modules/files/file-store';
import { mainThreadSeconds } from '../lib/proc-cpu';

export interface RenderAloneDone {
  done: true;
  n: number;
  bytes: number;
  /** Wall time from {go} to the last file stored. */
  ms: number;
  /** Sum of renderPdf durations (without the file store). */
  renderMs: number;
  /** CPU time (user + system) of this process from {go} to the end, in seconds. */
  cpuSeconds: number;
  /** CPU time of the main (JavaScript) thread alone over the same span, in seconds (Linux /proc). */
  mainCpuSeconds: number;
  /** Peak resident set of this process (maxRSS, boot included), in MiB. */
  peakMiB: number;
}

/** Facts come as JSON: dates are revived. */
export function reviveFacts(raw: string): CertificateFacts[] {
  return (JSON.parse(raw) as CertificateFacts[]).map((f) => ({ ...f, award: { ...f.award, issuedAt: new Date(f.award.issuedAt) } }));
}

/**
 * The job's renderer without Nest: renderPdf never touches the database; the fonts are parsed now, as
 * CertificateRenderHandler.onApplicationBootstrap does in a worker.
 */
export function bareRenderer(config: AppConfig, files: LocalFileStore): CertificateRenderService {
  const renderer = new CertificateRenderService(undefined as never, new CertificateSigner(config.certificates.signingSeed), files, config);
  void renderer.fonts.primary;
  return renderer;
}

/** Starts V8's sampling profiler (as the bench worker does); the answer writes the profile into a file and stops. */
export async function startProfile(): Promise<(file: string) => Promise<void>> {
  const session = new Session();
  session.connect();
  const post = (method: string, params: object = {}) => new Promise<any>((resolve, reject) => session.post(method, params, (err, r) => (err ? reject(err) : resolve(r))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 250 });
  await post('Profiler.start');
  return async (file) => {
    const { profile } = await post('Profiler.stop');
    session.disconnect();
    fs.writeFileSync(file, JSON.stringify(profile));
  };
}

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const facts = reviveFacts(fs.readFileSync(process.env.BENCH_FACTS_FILE!, 'utf8'));
  const concurrency = Math.max(1, Number(process.env.BENCH_CONCURRENCY ?? 1));
  const files = new LocalFileStore(process.env.BENCH_OUT_DIR!);
  const renderer = bareRenderer(config, files);
  await new Promise<void>((resolve) => {
    process.on('message', (m: { go?: boolean }) => m?.go && resolve());
    process.send!({ ready: true });
  });
  // BENCH_PROFILE_DIR (set by the parent under BENCH_PROFILE): a CPU profile of the run, to compare with the workers'.
  const profiling = process.env.BENCH_PROFILE_DIR ? await startProfile() : undefined;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadSeconds();
  let next = 0;
  let bytes = 0;
  let renderMs = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < facts.length) {
        const f = facts[next++];
        const r0 = performance.now();
        const out = await renderer.renderPdf(f);
        renderMs += performance.now() - r0;
        await files.put(certificateFileKey(f.serial), out.pdf);
        bytes += out.pdf.length;
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  const mainCpuSeconds = mainThreadSeconds() - main0;
  if (profiling) await profiling(path.join(process.env.BENCH_PROFILE_DIR!, `render-alone-${process.pid}-${Date.now()}.cpuprofile`));
  const done: RenderAloneDone = { done: true, n: facts.length, bytes, ms: performance.now() - t0, renderMs, cpuSeconds: (cpu.user + cpu.system) / 1e6, mainCpuSeconds, peakMiB: process.resourceUsage().maxRSS / 1024 };
  process.send!(done, () => process.exit(0));
}

// Run as a child; imported (by queue-floor.ts, for reviveFacts) it does nothing.
if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`render-alone failed: ${(e as Error).stack}\n`);
    process.exit(1);
  });
}
