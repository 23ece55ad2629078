import fastifyMultipart from '@fastify/multipart';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BullBoardFastifyAdapter } from '@bull-board/fastify';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'nestjs-pino';
import { hasRole } from './common/auth/auth-user';
import { TokenService } from './common/auth/token.service';
import { toErrorBody } from './common/errors/all-exceptions.filter';
import { DomainError } from './common/errors/domain-error';
import { installBodyParsing } from './common/http/body-parsing';
import { requestIdOf } from './common/http/request-id';
import { createValidationPipe } from './common/validation';
import { APP_CONFIG, AppConfig } from './config/app-config';
import { QueueService } from './modules/queue/queue.service';

/** Options of NestFactory.create / createNestApplication: logs buffered until the app's logger is set, no Nest body parsers (ours are installed by configureApp). */
export const NEST_APP_OPTIONS = { bufferLogs: true, bodyParser: false, abortOnError: false } as const;

/**
 * The HTTP server: Fastify (twice Express's throughput for the same Nest app here, see the README). The
 * client address (rate limits, logs) comes from X-Forwarded-For only behind trusted proxies (TRUST_PROXY);
 * the body limit applies to the decompressed body.
 */
export function createHttpAdapter(config: Pick<AppConfig, 'trustProxy' | 'bodyLimit'>): FastifyAdapter {
  return new FastifyAdapter({
    trustProxy: config.trustProxy,
    bodyLimit: config.bodyLimit,
    logger: false,
    genReqId: requestIdOf,
    // Path parameters up to 1,000 characters reach the routes, whose validation names what is wrong
    // (Fastify's default of 100 would refuse a long one before them).
    routerOptions: { maxParamLength: 1000 },
    // A URL Fastify cannot route (a bad percent-encoding, a longer parameter) is answered in the API's
    // error shape, without quoting the URL back.
    frameworkErrors: (error: FastifyError, _req: FastifyRequest, reply: FastifyReply) => {
      const message = error.code === 'FST_ERR_BAD_URL' ? 'the URL is not validly percent-encoded' : 'the URL cannot be routed: a path parameter is longer than 1000 characters or malformed';
      const { body } = toErrorBody(DomainError.invalid('BAD_REQUEST', message));
      void reply.code(body.statusCode).send(body);
    },
  });
}

/** Everything about the HTTP application that is not a module: used by main.ts, start.ts, the bench server and the e2e tests. */
export async function configureApp(app: NestFastifyApplication): Promise<void> {
  const config = app.get<AppConfig>(APP_CONFIG);
  app.useLogger(app.get(Logger));
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  installBodyParsing(fastify, config.bodyLimit);
  // Uploads (enrolment import) are read by their route after its guards ran: the parser only marks the request.
  await app.register(fastifyMultipart as never);
  app.useGlobalPipes(createValidationPipe());

  const doc = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('劳动技能竞赛管理系统 API')
      .setDescription('Labour & skills competition manager for trade unions. Errors: {statusCode, error, code, message}.')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('api/docs', app, doc, { jsonDocumentUrl: 'api/docs-json' });

  await mountQueueDashboard(app);
}

const DASHBOARD_CSP = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

/** BullMQ dashboard at /admin/queues, for admins only (Bearer header or access_token cookie). */
async function mountQueueDashboard(app: NestFastifyApplication): Promise<void> {
  const tokens = app.get(TokenService);
  const queues = app.get(QueueService);
  const serverAdapter = new BullBoardFastifyAdapter();
  serverAdapter.setBasePath('/admin/queues');
  createBullBoard({ queues: queues.names.map((n) => new BullMQAdapter(queues.queue(n), { readOnlyMode: false })), serverAdapter });
  const adminOnly = async (req: FastifyRequest, reply: FastifyReply) => {
    const user = tokens.fromRequest(req, { allowCookie: true });
    const refusal = !user
      ? new DomainError('unauthenticated', 'UNAUTHENTICATED', 'log in as an admin to see the queues')
      : !hasRole(user, 'admin')
        ? DomainError.forbidden('the queue dashboard is for admins only', 'ROLE_REQUIRED')
        : undefined;
    if (!refusal) return;
    const { body } = toErrorBody(refusal);
    return reply.code(body.statusCode).send(body);
  };
  // Its own encapsulated scope: the admin check applies to the dashboard's routes only.
  await app.register((async (scope: FastifyInstance) => {
    scope.addHook('onRequest', adminOnly);
    // The dashboard's page links Google Fonts: unreachable from many union networks, and an admin's address
    // should not go to a third party. Its own scripts and styles are served from here.
    scope.addHook('onSend', async (_req, reply) => {
      reply.header('Content-Security-Policy', DASHBOARD_CSP);
    });
    await scope.register(serverAdapter.registerPlugin() as never, { prefix: '/admin/queues' });
  }) as never);
}
