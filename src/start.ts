import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { configureApp, createHttpAdapter, NEST_APP_OPTIONS } from './app.setup';
import { exitAfterFailedBoot, installShutdown } from './common/shutdown';
import { DEFAULT_REDIS_URL, loadConfigOrExit } from './config/load-config';
import { RedisUnavailableError, resolveRedis } from './redis-resolution';

/** A private Redis takes this port when it is free, so that a restarted one keeps its address. */
const PRIVATE_REDIS_PORT = 6380;

/**
 * `npm start`: API and worker in one process, for a single machine. Redis: REDIS_URL if given; else
 * 127.0.0.1:6379 if it answers; else a private redis-server (appendonly, data under ./var/redis,
 * noeviction) started here and stopped on exit; else a message saying how to get one (see
 * redis-resolution.ts).
 */
async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  const shutdown = installShutdown();
  try {
    const redis = await resolveRedis({
      explicitUrl: config.redisUrlExplicit ? config.redisUrl : undefined,
      defaultUrl: DEFAULT_REDIS_URL,
      varDir: config.varDir,
      privatePort: PRIVATE_REDIS_PORT,
    });
    if (redis.source === 'private') {
      shutdown.afterClose(redis.stop);
      config.redisUrl = redis.url;
      process.stderr.write(`No Redis answers at ${DEFAULT_REDIS_URL}: started a private redis-server at ${redis.url} (data in ${redis.dir})\n`);
    } else if (redis.source === 'explicit' && !redis.answering) {
      process.stderr.write('Warning: the Redis at REDIS_URL does not answer yet; queued work waits until it does.\n');
    }
    const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, { api: true, workers: true }), createHttpAdapter(config), NEST_APP_OPTIONS);
    shutdown.attach(app);
    await configureApp(app);
    await app.listen(config.port, '0.0.0.0');
    process.stderr.write(`劳动技能竞赛管理系统 listening on http://localhost:${config.port} (API docs: /api/docs, health: /health)\n`);
  } catch (e) {
    if (e instanceof RedisUnavailableError) {
      process.stderr.write(`${e.message}\n`);
      await shutdown.close();
      process.exit(1);
    }
    await exitAfterFailedBoot(shutdown, 'npm start', e);
  }
}

void bootstrap();
