import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import * as path from 'node:path';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { exitCleanlyOnSignals } from './common/shutdown';
import { loadConfigOrExit } from './config/load-config';
import { findRedisServerBinary, pingRedis, PrivateRedis, startPrivateRedis } from './modules/queue/redis-server';

const DEFAULT_REDIS_PORT = 6379;

/**
 * `npm start`: API and worker in one process, for a single machine. Redis: REDIS_URL if given; else
 * 127.0.0.1:6379 if it answers; else a private redis-server (appendonly, data under ./var/redis,
 * noeviction) started here and stopped on exit; else a message saying how to get one.
 */
async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  let privateRedis: PrivateRedis | undefined;
  if (!config.redisUrlExplicit && !(await pingRedis(config.redisUrl))) {
    const binary = findRedisServerBinary();
    if (!binary) {
      process.stderr.write(
        'No Redis answers at 127.0.0.1:6379 and redis-server is not installed.\n' +
          'Install it (Debian/Ubuntu: apt-get install redis-server) or set REDIS_URL=redis://host:port to a running Redis.\n',
      );
      process.exit(1);
    }
    privateRedis = await startPrivateRedis({ dir: path.join(config.varDir, 'redis'), port: await freeOr(DEFAULT_REDIS_PORT + 1), appendonly: true, binary });
    config.redisUrl = privateRedis.url;
    process.stderr.write(`Started a private redis-server at ${privateRedis.url} (data in ${path.join(config.varDir, 'redis')})\n`);
  } else if (config.redisUrlExplicit && !(await pingRedis(config.redisUrl, 3000))) {
    process.stderr.write(`Warning: Redis at REDIS_URL does not answer yet; queued work waits until it does.\n`);
  }
  const app = await NestFactory.create(AppModule.forRoot(config, { api: true, workers: true }), { bufferLogs: true, bodyParser: false });
  configureApp(app);
  exitCleanlyOnSignals(app, privateRedis ? [() => privateRedis!.stop()] : []);
  await app.listen(config.port, '0.0.0.0');
  process.stderr.write(`劳动技能竞赛管理系统 listening on http://localhost:${config.port} (API docs: /api/docs, health: /health)\n`);
}

/** The preferred port if nothing answers there, so a restarted private Redis keeps its address. */
async function freeOr(preferred: number): Promise<number | undefined> {
  return (await pingRedis(`redis://127.0.0.1:${preferred}`, 300)) ? undefined : preferred;
}

bootstrap().catch((e: Error) => {
  process.stderr.write(`start failed: ${e.message}\n`);
  process.exit(1);
});
