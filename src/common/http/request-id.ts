import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * A request's id: the caller's X-Request-Id (at most 64 characters) or a new UUID. Fastify assigns it
 * (genReqId), @fastify/middie copies it to the raw request, where the request logger (pino-http) and the
 * error filter read it; the log lines, the error log and the 500's X-Request-Id header all carry the same.
 */
export function requestIdOf(req: Pick<IncomingMessage, 'headers'>): string {
  const given = req.headers['x-request-id'];
  return (Array.isArray(given) ? given[0] : given)?.slice(0, 64) || randomUUID();
}
