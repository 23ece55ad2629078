import type { INestApplicationContext } from '@nestjs/common';

type Step = () => Promise<void>;

/**
 * SIGTERM/SIGINT → a clean stop with exit code 0:
 *  1. the application closes (Nest 11 order): the HTTP server stops first; then shutdown hooks run from
 *     the root module outwards, global modules last — the WorkerHost (root module) stops taking jobs and
 *     waits for the running ones while the database (TypeORM, global) and the producer connection
 *     (CoreModule, global) are still open (test/e2e/processes.e2e-spec.ts holds a job mid-way across
 *     SIGTERM to prove it); then the outbox dispatcher, the queues and the database close;
 *  2. cleanup steps (e.g. stop a private redis-server), then exit 0 (1 if closing failed).
 * Signal handlers are installed before booting: a signal that arrives while the application is still
 * booting runs the cleanups and exits 0, so a private redis-server is never left behind.
 * A second signal of the same kind is not caught: it ends the process at once (Ctrl-C twice).
 * Nest's own enableShutdownHooks() is not used: it re-raises the signal after closing (exit code 143).
 */
export class GracefulShutdown {
  private app?: INestApplicationContext;
  private readonly cleanups: Step[] = [];
  private closing = false;

  constructor(private readonly hardStopMs = 60_000) {
    process.once('SIGTERM', this.onSignal);
    process.once('SIGINT', this.onSignal);
  }

  /** The application to close on a signal, once it exists. */
  attach(app: INestApplicationContext): this {
    this.app = app;
    return this;
  }

  /** Runs after the application closed, also when a signal ends a boot. */
  afterClose(step: Step): this {
    this.cleanups.push(step);
    return this;
  }

  /** Closes everything and resolves the exit code; also used when a boot fails half-way. */
  async close(): Promise<number> {
    let code = 0;
    const app = this.app;
    if (app) {
      try {
        await app.close();
      } catch (e) {
        process.stderr.write(`shutdown error: ${(e as Error).message}\n`);
        code = 1;
      }
    }
    for (const step of this.cleanups) await step().catch(() => undefined);
    return code;
  }

  private readonly onSignal = (signal: NodeJS.Signals): void => {
    if (this.closing) return;
    this.closing = true;
    process.stderr.write(`${signal}: shutting down\n`);
    const hardStop = setTimeout(() => {
      process.stderr.write(`shutdown took longer than ${this.hardStopMs} ms; exiting\n`);
      process.exit(1);
    }, this.hardStopMs);
    hardStop.unref();
    void this.close().then((code) => process.exit(code));
  };
}

/** Installs the signal handlers at once (before booting), so that no signal finds the process unprepared. */
export function installShutdown(hardStopMs?: number): GracefulShutdown {
  return new GracefulShutdown(hardStopMs);
}

/** Shorthand: close `app` on SIGTERM/SIGINT, then run `cleanups`, then exit 0. */
export function exitCleanlyOnSignals(app: INestApplicationContext, cleanups: Step[] = []): GracefulShutdown {
  const s = installShutdown().attach(app);
  for (const c of cleanups) s.afterClose(c);
  return s;
}

/** A boot that failed: one line on stderr, close what was opened (e.g. a private Redis), exit 1. */
export async function exitAfterFailedBoot(shutdown: GracefulShutdown, what: string, e: unknown): Promise<never> {
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`${what} failed to start: ${message.replace(/\s*\n\s*/g, ' | ')}\n`);
  await shutdown.close().catch(() => undefined);
  process.exit(1);
}
