import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import type { IncomingMessage } from 'node:http';
import { stdSerializers, type DestinationStream } from 'pino';
import { AuthGuard } from './common/auth/auth.guard';
import { TokenService } from './common/auth/token.service';
import { PersonalDataCipher } from './common/crypto/personal-data';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter';
import { requestIdOf } from './common/http/request-id';
import { APP_CONFIG, AppConfig } from './config/app-config';
import { dataSourceOptions } from './database/data-source-options';
import { CHECKPOINT_THREAD, Db, SQLITE_MMAP } from './database/db.service';
import { Migrator } from './database/migrator';
import { PERSONAL_DATA_CIPHER } from './modules/identity/workers.service';
import { LiveEventsService } from './modules/queue/live-events.service';
import { OUTBOX_DISPATCH, OutboxDispatcher } from './modules/queue/outbox.dispatcher';
import { OutboxService } from './modules/queue/outbox.service';
import { QueueService } from './modules/queue/queue.service';

/** Never logged: credentials, tokens and personal data, wherever they appear in a log object. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.passwordHash',
  '*.accessToken',
  '*.idNumber',
  '*.idNumberEnc',
  '*.token',
];

export interface CoreOptions {
  /** Where log lines go (tests capture them); default stdout. */
  logStream?: DestinationStream;
  /**
   * Run the outbox dispatcher's polling in this process (default true). AppModule turns it off in
   * worker-only processes: the API processes deliver the outbox, and worker processes polling the same
   * rows only competed for SQLite's write lock with the jobs they render.
   */
  dispatchOutbox?: boolean;
  /**
   * SQLite: run WAL checkpoints in a thread of this process (default true). AppModule turns it off in
   * worker-only processes: one checkpointer (the API's) keeps the WAL short for every process, while a
   * checkpointer per worker process cost the workers a fifth more CPU per certificate (the same WAL copied
   * and synced three times over, fsyncs and lock traffic on the shared WAL index; measured in s6).
   */
  checkpointThread?: boolean;
  /**
   * SQLite: read the database through a memory map (default true), for the API's large reads (a competition's
   * marks). AppModule turns it off in worker-only processes: their statements are small, and each commit of
   * another process made SQLite drop the whole map at the next transaction and fault every page in again (in
   * s7 6 % of a worker's CPU per job; two processes in a micro-benchmark: 0.14 against 0.18 ms of CPU per job).
   */
  sqliteMmap?: boolean;
}

/** What every process needs: configuration, logging, the database, the queue producer and the outbox. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: AppConfig, opts: CoreOptions = {}): DynamicModule {
    return {
      module: CoreModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: [
            {
              level: config.logLevel,
              redact: { paths: REDACT_PATHS, censor: '[redacted]' },
              // Fastify has given the request its id already (see request-id.ts); this is only the fallback.
              genReqId: (req: IncomingMessage) => requestIdOf(req),
              // Query strings may carry personal data (?idNumber=): log the path only. The serializers get the
              // raw request and response (wrapSerializers: false): pino-http would otherwise build the full
              // standard request object (a copy of every header) for every request only to drop it here.
              // (Every line carries the pid through pino's base bindings.)
              wrapSerializers: false,
              serializers: {
                req: (req: { id: string; method: string; url: string; originalUrl?: string }) => ({ id: req.id, method: req.method, path: String(req.originalUrl ?? req.url).split('?')[0] }),
                res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
                err: stdSerializers.err,
              },
              // Health probes are not logged. The path as the client sent it: under Fastify the middleware
              // runs through @fastify/middie, which may rewrite req.url for the route it mounts on.
              autoLogging: { ignore: (req: IncomingMessage & { originalUrl?: string }) => String(req.originalUrl ?? req.url).split('?')[0] === '/health' },
            },
            opts.logStream ?? process.stdout,
          ],
        }),
        // A database that does not answer stops the process after ~3 s instead of the default ~27 s of retries.
        TypeOrmModule.forRootAsync({ useFactory: () => ({ ...dataSourceOptions(config), retryAttempts: 2, retryDelay: 1000 }) }),
      ],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: PERSONAL_DATA_CIPHER, useFactory: () => new PersonalDataCipher(config.dataKey) },
        Db,
        { provide: CHECKPOINT_THREAD, useValue: opts.checkpointThread ?? true },
        { provide: SQLITE_MMAP, useValue: opts.sqliteMmap ?? true },
        Migrator,
        TokenService,
        QueueService,
        OutboxService,
        OutboxDispatcher,
        { provide: OUTBOX_DISPATCH, useValue: opts.dispatchOutbox ?? true },
        LiveEventsService,
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
      ],
      exports: [APP_CONFIG, PERSONAL_DATA_CIPHER, Db, TokenService, QueueService, OutboxService, OutboxDispatcher, LiveEventsService],
    };
  }
}
