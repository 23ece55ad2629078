import 'reflect-metadata';
import { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { __resetOutOfContextForTests } from 'nestjs-pino/PinoLogger';
import { Client } from 'pg';
import type { DestinationStream } from 'pino';
import request from 'supertest';
import { AppModule } from '../../src/app.module';
import { configureApp, createHttpAdapter } from '../../src/app.setup';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppConfig } from '../../src/config/app-config';
import { loadConfig } from '../../src/config/load-config';
import { deleteKeysWithPrefix } from '../../src/modules/queue/redis-server';
import { Db } from '../../src/database/db.service';

export const ADMIN = { username: 'admin', password: 'admin-password-1' };

export interface TestAppOptions {
  /** Run the BullMQ workers in the same process (for tests that need jobs processed). */
  workers?: boolean;
  /** Extra or overriding environment variables. Set a key to undefined to unset it. */
  env?: Record<string, string | undefined>;
  logStream?: DestinationStream;
  /** Reuse the database (and var dir) of an earlier app: for restart tests. */
  reuse?: TestApp;
  /** Test-only modules (e.g. a probe controller) booted inside the real application. */
  extraModules?: Array<Type | DynamicModule>;
}

export interface TestApp {
  app: INestApplication;
  /** http://127.0.0.1:<port> of the listening app. */
  baseUrl: string;
  config: AppConfig;
  db: Db;
  http: () => ReturnType<typeof request>;
  login(username: string, password: string): Promise<string>;
  adminToken(): Promise<string>;
  /** Closes the app; the database and queues stay until dispose(). */
  close(): Promise<void>;
  /** Closes the app, drops its PostgreSQL schema and deletes its Redis keys and files. */
  dispose(): Promise<void>;
}

const postgresUrl = () => process.env.DATABASE_URL;

/** A unique, SQL- and Redis-safe name for one test app. */
const uniqueName = () => `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;

async function withPg<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: postgresUrl() });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * Boots the real AppModule in-process: a fresh SQLite file (or a fresh PostgreSQL schema when
 * DATABASE_URL is set) and the real Redis under a unique queue prefix.
 */
export async function createTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const name = opts.reuse ? opts.reuse.config.queuePrefix : uniqueName();
  const varDir = opts.reuse ? opts.reuse.config.varDir : fs.mkdtempSync(path.join(os.tmpdir(), 'contest-e2e-'));
  if (postgresUrl() && !opts.reuse) await withPg((c) => c.query(`CREATE SCHEMA ${name}`));
  const env: Record<string, string | undefined> = {
    ...process.env,
    VAR_DIR: varDir,
    SQLITE_PATH: path.join(varDir, 'contest.sqlite'),
    DATABASE_SCHEMA: postgresUrl() ? name : undefined,
    QUEUE_PREFIX: name,
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    LOG_LEVEL: opts.logStream ? 'info' : 'silent',
    OUTBOX_POLL_MS: '200',
    PORT: '0',
    ...opts.env,
  };
  const config = loadConfig(env);
  // nestjs-pino keeps its out-of-request logger per process: without this, a second app's boot lines
  // would go to the first app's log stream.
  __resetOutOfContextForTests();
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.forRoot(config, { api: true, workers: !!opts.workers, logStream: opts.logStream }), ...(opts.extraModules ?? [])],
  }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createHttpAdapter(config), { bodyParser: false, logger: false });
  await configureApp(app);
  // Listen once on a real port: supertest would otherwise open a new listener per request.
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const server = `http://127.0.0.1:${address.port}`;
  let adminToken: string | undefined;
  let closed = false;
  const t: TestApp = {
    app,
    baseUrl: server,
    config,
    db: app.get(Db),
    http: () => request(server),
    async login(username, password) {
      const res = await request(server).post('/api/auth/login').send({ username, password });
      if (res.status !== 200) throw new Error(`login ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.accessToken as string;
    },
    async adminToken() {
      adminToken ??= await t.login(ADMIN.username, ADMIN.password);
      return adminToken;
    },
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
    },
    async dispose() {
      await t.close();
      if (postgresUrl()) await withPg((c) => c.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`));
      await deleteKeysWithPrefix(config.redisUrl, name);
      fs.rmSync(varDir, { recursive: true, force: true });
    },
  };
  return t;
}


export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
export { randomUUID };
