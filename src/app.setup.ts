import { INestApplication } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { NextFunction, Request, Response } from 'express';
import { Logger } from 'nestjs-pino';
import { hasRole } from './common/auth/auth-user';
import { TokenService } from './common/auth/token.service';
import { toErrorBody } from './common/errors/all-exceptions.filter';
import { DomainError } from './common/errors/domain-error';
import { createValidationPipe } from './common/validation';
import { APP_CONFIG, AppConfig } from './config/app-config';
import { QueueService } from './modules/queue/queue.service';

/** Everything about the HTTP application that is not a module: used by main.ts, start.ts and the e2e tests. */
export function configureApp(app: INestApplication): void {
  const config = app.get<AppConfig>(APP_CONFIG);
  const express = app as NestExpressApplication;
  express.useLogger(app.get(Logger));
  express.disable('x-powered-by');
  // Behind a load balancer the client address (rate limits, logs) comes from X-Forwarded-For: TRUST_PROXY.
  express.set('trust proxy', config.trustProxy);
  express.useBodyParser('json', { limit: config.bodyLimit });
  express.useBodyParser('urlencoded', { limit: config.bodyLimit, extended: false });
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

  mountQueueDashboard(app);
}

/** BullMQ dashboard at /admin/queues, for admins only (Bearer header or access_token cookie). */
function mountQueueDashboard(app: INestApplication): void {
  const tokens = app.get(TokenService);
  const queues = app.get(QueueService);
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath('/admin/queues');
  createBullBoard({ queues: queues.names.map((n) => new BullMQAdapter(queues.queue(n), { readOnlyMode: false })), serverAdapter });
  const adminOnly = (req: Request, res: Response, next: NextFunction) => {
    const user = tokens.fromRequest(req, { allowCookie: true });
    const refusal = !user
      ? new DomainError('unauthenticated', 'UNAUTHENTICATED', 'log in as an admin to see the queues')
      : !hasRole(user, 'admin')
        ? DomainError.forbidden('the queue dashboard is for admins only', 'ROLE_REQUIRED')
        : undefined;
    if (!refusal) return next();
    const { body } = toErrorBody(refusal);
    res.status(body.statusCode).json(body);
  };
  app.use('/admin/queues', adminOnly, serverAdapter.getRouter());
}
