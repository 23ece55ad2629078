import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { Request, Response } from 'express';
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

/** Errors thrown by body-parser before Nest sees the request (malformed JSON, oversize body). */
interface BodyParserError {
  type?: string;
  status?: number;
  expose?: boolean;
  message?: string;
}

function body(statusCode: number, code: string, message: string | string[], extra?: Record<string, unknown>): ErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', code, message, ...(extra ?? {}) };
}

/** Maps every error to `{statusCode, error, code, message}`; anything unexpected is logged and answered as a bare 500. */
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
  const bp = exception as BodyParserError;
  if (bp && typeof bp === 'object' && typeof bp.type === 'string' && typeof bp.status === 'number' && bp.status < 500) {
    if (bp.type === 'entity.too.large') {
      return { body: body(413, 'PAYLOAD_TOO_LARGE', 'request body is larger than the limit of 1 MB'), unexpected: false };
    }
    if (bp.type === 'entity.parse.failed') {
      return { body: body(400, 'MALFORMED_JSON', 'request body is not valid JSON'), unexpected: false };
    }
    return { body: body(bp.status, CODE_OF_STATUS[bp.status] ?? 'BAD_REQUEST', bp.message ?? 'bad request'), unexpected: false };
  }
  return { body: body(HttpStatus.INTERNAL_SERVER_ERROR, 'INTERNAL', 'Internal server error'), unexpected: true };
}

@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const res = http.getResponse<Response>();
    const req = http.getRequest<Request & { id?: string }>();
    const { body: out, unexpected } = toErrorBody(exception);
    if (unexpected) {
      const err = exception instanceof Error ? { name: exception.name, message: exception.message, stack: exception.stack } : { value: String(exception) };
      this.logger.error({ requestId: req?.id, method: req?.method, route: req?.route?.path, err }, 'unexpected error');
      if (req?.id) res.setHeader('x-request-id', String(req.id));
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(out.statusCode).json(out);
  }
}
