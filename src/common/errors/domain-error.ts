/**
 * Services throw DomainError with a stable machine-readable code; the global filter maps the kind to
 * an HTTP status. Messages are written for the person who must act on them.
 */
export type DomainErrorKind =
  | 'invalid' // 400
  | 'unauthenticated' // 401
  | 'forbidden' // 403
  | 'not_found' // 404
  | 'conflict' // 409
  | 'too_large' // 413
  | 'unsupported_media' // 415
  | 'rejected' // 422
  | 'rate_limited' // 429
  | 'unavailable'; // 503

export const STATUS_OF_KIND: Record<DomainErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_media: 415,
  rejected: 422,
  rate_limited: 429,
  unavailable: 503,
};

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    readonly code: string,
    message: string | string[],
    readonly details?: Record<string, unknown>,
  ) {
    super(Array.isArray(message) ? message.join('; ') : message);
    this.messages = Array.isArray(message) ? message : undefined;
    this.name = 'DomainError';
  }
  readonly messages?: string[];

  static notFound(what: string, code = 'NOT_FOUND'): DomainError {
    return new DomainError('not_found', code, `${what} not found`);
  }
  static forbidden(message: string, code = 'FORBIDDEN'): DomainError {
    return new DomainError('forbidden', code, message);
  }
  static conflict(code: string, message: string): DomainError {
    return new DomainError('conflict', code, message);
  }
  static invalid(code: string, message: string | string[]): DomainError {
    return new DomainError('invalid', code, message);
  }
}
