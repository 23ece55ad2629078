/**
 * Values of raw SQL rows as the two drivers return them: PostgreSQL gives bigint/numeric as strings and
 * booleans as booleans, SQLite gives integers for booleans and text for JSON.
 */
export const numOrNull = (v: number | string | null | undefined): number | null => (v === null || v === undefined ? null : Number(v));
export const truthy = (v: unknown): boolean => v === true || v === 1 || v === '1' || v === 't' || v === 'true';

/** Raw SQL written with `?` placeholders, as the driver wants it (PostgreSQL: `$1`, `$2`…). */
export function placeholdersFor(kind: 'sqlite' | 'postgres', text: string): string {
  if (kind !== 'postgres') return text;
  let i = 0;
  return text.replace(/\?/g, () => `$${++i}`);
}
