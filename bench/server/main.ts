/**
 * The API under benchmark, started as a child process by bench/lib/child-server.ts so that the load
 * generator and the server run on separate cores: the real AppModule (api, no workers) plus the
 * bench-only routes of BenchRoutesModule, listening on 127.0.0.1:$PORT. Configured by the
 * environment like src/main.ts (the parent gives a fresh VAR_DIR/SQLITE_PATH and QUEUE_PREFIX).
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from '../../src/app.module';
import { configureApp, createHttpAdapter, NEST_APP_OPTIONS } from '../../src/app.setup';
import { exitAfterFailedBoot, installShutdown } from '../../src/common/shutdown';
import { loadConfigOrExit } from '../../src/config/load-config';
import { BenchRoutesModule } from './bench-routes.module';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  // SIGTERM/SIGINT close the app and exit 0, so that --cpu-prof can write its profile.
  const shutdown = installShutdown(15_000);
  try {
    @Module({ imports: [AppModule.forRoot(config, { api: true, workers: false }), BenchRoutesModule] })
    class BenchServerModule {}
    const app = await NestFactory.create<NestFastifyApplication>(BenchServerModule, createHttpAdapter(config), NEST_APP_OPTIONS);
    shutdown.attach(app);
    await configureApp(app);
    await app.listen(config.port, '127.0.0.1');
    process.send?.({ ready: true, port: config.port });
  } catch (e) {
    await exitAfterFailedBoot(shutdown, 'bench server', e);
  }
}

void bootstrap();
