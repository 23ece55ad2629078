import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { exitAfterFailedBoot, installShutdown } from './common/shutdown';
import { loadConfigOrExit } from './config/load-config';

/** BullMQ workers and the outbox dispatcher, no HTTP (`npm run start:worker`); run as many as needed. */
async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  const shutdown = installShutdown();
  try {
    const ctx = await NestFactory.createApplicationContext(AppModule.forRoot(config, { api: false, workers: true }), { bufferLogs: true, abortOnError: false });
    ctx.useLogger(ctx.get(Logger));
    shutdown.attach(ctx);
    await ctx.init();
  } catch (e) {
    await exitAfterFailedBoot(shutdown, 'worker', e);
  }
}

void bootstrap();
