import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, STATUS_OF_KIND } from './domain-error';

export interface ErrorBody {
  statusCode: number;
  error: string;
  code: string;
  message: string | string[];
  [extra: string]: unknown;
}

const CODE_OF_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE',
  429: 'RATE_LIMITED',
  503: 'UNAVAILABLE',
};

function body(statusCode: number, code: string, message: string | string[], extra?: Record<string, unknown>): ErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', code, message, ...(extra ?? {}) };
}

/**
 * Maps every error to `{statusCode, error, code, message}`; anything unexpected is logged and answered as
 * a bare 500. Fastify's own errors (an oversize or unsupported body, a bad URL) reach here as Nest's
 * HttpException with their status; the body parsers' refusals (src/common/http/body-parsing.ts) as DomainError.
 */
export function toErrorBody(exception: unknown): { body: ErrorBody; unexpected: boolean } {
  if (exception instanceof DomainError) {
    const status = STATUS_OF_KIND[exception.kind];
    return { body: body(status, exception.code, exception.messages ?? exception.message, exception.details), unexpected: false };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const res = exception.getResponse();
    let message: string | string[] = exception.message;
    let code = CODE_OF_STATUS[status] ?? `HTTP_${status}`;
    if (typeof res === 'object' && res !== null) {
      const r = res as { message?: string | string[]; code?: string };
      if (r.message !== undefined) message = r.message;
      if (typeof r.code === 'string') code = r.code;
    }
    if (status >= 500) return { body: body(status, 'INTERNAL', 'Internal server error'), unexpected: true };
    return { body: body(status, code, message), unexpected: false };
  }
  return { body: body(HttpStatus.INTERNAL_SERVER_ERROR, 'INTERNAL', 'Internal server error'), unexpected: true };
}

@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const req = http.getRequest<FastifyRequest | undefined>();
    const { body: out, unexpected } = toErrorBody(exception);
    const sent = reply.sent || reply.raw.headersSent;
    if (unexpected) {
      const err = exception instanceof Error ? { name: exception.name, message: exception.message, stack: exception.stack } : { value: String(exception) };
      // The request logger (pino-http) puts its id on the raw request; errors raised before it ran have none yet.
      const rawId = (req?.raw as { id?: unknown } | undefined)?.id;
      const requestId = rawId ? String(rawId) : randomUUID();
      this.logger.error({ requestId, method: req?.method, route: req?.routeOptions?.url, err }, 'unexpected error');
      if (!sent) reply.header('x-request-id', requestId);
    }
    if (sent) {
      if (!reply.raw.writableEnded) reply.raw.end();
      return;
    }
    reply.code(out.statusCode).type('application/json; charset=utf-8').send(out);
  }
}
