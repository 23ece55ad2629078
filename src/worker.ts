import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { exitCleanlyOnSignals } from './common/shutdown';
import { loadConfigOrExit } from './config/load-config';

/** BullMQ workers and the outbox dispatcher, no HTTP (`npm run start:worker`); run as many as needed. */
async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  const ctx = await NestFactory.createApplicationContext(AppModule.forRoot(config, { api: false, workers: true }), { bufferLogs: true });
  ctx.useLogger(ctx.get(Logger));
  exitCleanlyOnSignals(ctx);
  await ctx.init();
}

void bootstrap();
