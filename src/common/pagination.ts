export interface Page<T> {
  items: T[];
  total: number;
}

export const DEFAULT_LIMIT = 50;

/** `?limit=&offset=` with a default and a ceiling. */
export function pageParams(q: { limit?: number; offset?: number }): { take: number; skip: number } {
  return { take: Math.min(q.limit ?? DEFAULT_LIMIT, 200), skip: q.offset ?? 0 };
}

/** For LIKE patterns built from user text. */
export const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);
