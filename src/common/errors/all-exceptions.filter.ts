import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
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

/** Errors thrown by body-parser (http-errors) before Nest sees the request: oversize body, bad charset or encoding. */
interface BodyParserError {
  type?: string;
  status?: number;
  statusCode?: number;
  expose?: boolean;
  code?: string;
  message?: string;
}

const BODY_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  'entity.too.large': { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'request body is larger than the limit of 1 MB' },
  'entity.parse.failed': { status: 400, code: 'MALFORMED_JSON', message: 'request body is not valid JSON' },
  'charset.unsupported': { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'the request body charset is not supported; send UTF-8' },
  'encoding.unsupported': { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'the Content-Encoding is not supported; send gzip, deflate, br or none' },
};

/** What the filter reads of the request (the express Request, or a stand-in). */
export interface RequestLike {
  headers?: Record<string, string | string[] | undefined>;
  body?: unknown;
}

/**
 * Nest maps body-parser's SyntaxError to `new BadRequestException(parserMessage)` before any filter
 * runs, so the error's type is lost (and its message quotes the body, which may hold personal data).
 * It is recognized by the request instead: a JSON body that body-parser left unparsed. Every other
 * 400 this app raises carries a `code`.
 */
function isUnparsedJsonBody(res: unknown, req?: RequestLike): boolean {
  if (!req?.headers || (typeof res === 'object' && res !== null && 'code' in res)) return false;
  const contentType = String(req.headers['content-type'] ?? '');
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  return /^\s*application\/json\s*(;|$)/i.test(contentType) && hasBody && req.body === undefined;
}

function body(statusCode: number, code: string, message: string | string[], extra?: Record<string, unknown>): ErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', code, message, ...(extra ?? {}) };
}

/** Maps every error to `{statusCode, error, code, message}`; anything unexpected is logged and answered as a bare 500. */
export function toErrorBody(exception: unknown, req?: RequestLike): { body: ErrorBody; unexpected: boolean } {
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
    if (status === 400 && isUnparsedJsonBody(res, req)) return { body: body(400, 'MALFORMED_JSON', BODY_ERRORS['entity.parse.failed'].message), unexpected: false };
    return { body: body(status, code, message), unexpected: false };
  }
  // http-errors (what body-parser throws) always say whether their message may be shown; other
  // libraries' errors with a `status` (an HTTP client's, say) are unexpected here.
  const bp = exception as BodyParserError;
  const bpStatus = bp && typeof bp === 'object' && typeof bp.expose === 'boolean' ? (bp.status ?? bp.statusCode) : undefined;
  if (typeof bpStatus === 'number' && bpStatus >= 400 && bpStatus < 500) {
    const known = bp.type ? BODY_ERRORS[bp.type] : undefined;
    if (known) return { body: body(known.status, known.code, known.message), unexpected: false };
    // Only decompression errors reach here untyped (zlib's Z_DATA_ERROR, brotli's ERR__ERROR_FORMAT_…).
    const encoding = String(req?.headers?.['content-encoding'] ?? 'identity').toLowerCase();
    if (bpStatus === 400 && !bp.type && encoding !== 'identity') {
      return { body: body(400, 'MALFORMED_BODY', 'the request body could not be decompressed as its Content-Encoding says'), unexpected: false };
    }
    const message = bp.expose && bp.message ? bp.message : (STATUS_CODES[bpStatus] ?? 'bad request');
    return { body: body(bpStatus, CODE_OF_STATUS[bpStatus] ?? 'BAD_REQUEST', message), unexpected: false };
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
    const { body: out, unexpected } = toErrorBody(exception, req);
    if (unexpected) {
      const err = exception instanceof Error ? { name: exception.name, message: exception.message, stack: exception.stack } : { value: String(exception) };
      // Errors raised before the request logger ran (in the body parsers) have no id yet.
      const requestId = req?.id ? String(req.id) : randomUUID();
      this.logger.error({ requestId, method: req?.method, route: req?.route?.path, err }, 'unexpected error');
      if (!res.headersSent) res.setHeader('x-request-id', requestId);
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(out.statusCode).json(out);
  }
}
