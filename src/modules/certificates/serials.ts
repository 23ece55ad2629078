import { EntityManager } from 'typeorm';

/**
 * Allocates serials `<prefix>-<year>-<000123>` inside the caller's transaction: one upsert per year adds n to
 * the counter and returns the new last number (on PostgreSQL the counter row stays locked until commit, so
 * concurrent issuers queue up there; SQLite is serialized anyway). A rolled-back transaction rolls the counter
 * back with the certificates that would have used the numbers, so a committed serial is never given twice.
 * Returns the serials in the order of `years`.
 */
export async function allocateSerials(m: EntityManager, kind: 'sqlite' | 'postgres', prefix: string, years: number[]): Promise<string[]> {
  const counts = new Map<number, number>();
  for (const y of years) counts.set(y, (counts.get(y) ?? 0) + 1);
  const next = new Map<number, number>();
  for (const [year, n] of [...counts].sort((a, b) => a[0] - b[0])) {
    const sql =
      kind === 'postgres'
        ? 'INSERT INTO certificate_serial_counters (prefix, year, last) VALUES ($1, $2, $3) ON CONFLICT (prefix, year) DO UPDATE SET last = certificate_serial_counters.last + EXCLUDED.last RETURNING last'
        : 'INSERT INTO certificate_serial_counters (prefix, year, last) VALUES (?, ?, ?) ON CONFLICT (prefix, year) DO UPDATE SET last = certificate_serial_counters.last + excluded.last RETURNING last';
    const rows = (await m.query(sql, [prefix, year, n])) as Array<{ last: number | string }>;
    next.set(year, Number(rows[0].last) - n + 1);
  }
  return years.map((y) => {
    const n = next.get(y)!;
    next.set(y, n + 1);
    return `${prefix}-${y}-${String(n).padStart(6, '0')}`;
  });
}
