import { QueryFailedError } from 'typeorm';

const UNIQUE_CODES = new Set(['23505' /* PostgreSQL */, 'SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY']);

/**
 * A unique constraint refused the write. Services check for duplicates first; this catches the
 * concurrent request that passed the same check before the other committed (PostgreSQL only,
 * since SQLite access is serialized), so it can be answered 409 instead of 500.
 */
export function isUniqueViolation(e: unknown): boolean {
  if (!(e instanceof QueryFailedError)) return false;
  const code = (e.driverError as { code?: unknown } | undefined)?.code;
  return (typeof code === 'string' && UNIQUE_CODES.has(code)) || /unique|duplicate/i.test(e.message);
}
