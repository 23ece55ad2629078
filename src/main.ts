import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { configureApp, createHttpAdapter, NEST_APP_OPTIONS } from './app.setup';
import { exitAfterFailedBoot, installShutdown } from './common/shutdown';
import { loadConfigOrExit } from './config/load-config';

/** The HTTP API alone (`npm run start:api`). Workers run apart with `npm run start:worker`. */
async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  const shutdown = installShutdown();
  try {
    const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, { api: true, workers: false }), createHttpAdapter(config), NEST_APP_OPTIONS);
    shutdown.attach(app);
    await configureApp(app);
    await app.listen(config.port, '0.0.0.0');
  } catch (e) {
    await exitAfterFailedBoot(shutdown, 'API', e);
  }
}

void bootstrap();
