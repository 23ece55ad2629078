import type { INestApplicationContext } from '@nestjs/common';

/**
 * SIGTERM/SIGINT: close the application (HTTP server stops accepting, BullMQ workers stop taking jobs
 * and finish the running one, connections close), run the extra cleanups, then exit 0.
 * Nest's own enableShutdownHooks() re-raises the signal after closing, which exits with 143.
 */
export function exitCleanlyOnSignals(app: INestApplicationContext, cleanups: Array<() => Promise<void>> = []): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    process.stderr.write(`${signal}: shutting down\n`);
    const hardStop = setTimeout(() => process.exit(1), 60_000);
    hardStop.unref();
    void (async () => {
      let code = 0;
      try {
        await app.close();
      } catch (e) {
        process.stderr.write(`shutdown error: ${(e as Error).message}\n`);
        code = 1;
      }
      for (const c of cleanups) await c().catch(() => undefined);
      process.exit(code);
    })();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
