import { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';

/** Bound parameters per statement at most: below SQLite's 32,766 and PostgreSQL's 65,535. */
const MAX_PARAMETERS = 30_000;
/** Rows per statement at most, whatever their width. */
const MAX_ROWS = 500;

/**
 * Inserts many rows of an entity in multi-row INSERTs with bound parameters, without reading anything back:
 * what `createQueryBuilder().insert().values(rows).updateEntity(false)` writes, without the query builder's
 * named-parameter handling, whose cost grows with the square of the rows in a statement (10,000 awards,
 * certificates, outbox events and audit entries at one finalize spent most of their time there).
 *
 * The columns written are the ones the first row defines (property not undefined); every row must define the
 * same ones. A column left out gets the database's default (e.g. `created_at`). Values go through the column's
 * transformer and the driver's conversion, as TypeORM's own insert does (dates, simple-json, booleans).
 */
export async function insertMany<T extends ObjectLiteral>(m: EntityManager, target: EntityTarget<T>, rows: readonly T[]): Promise<void> {
  if (rows.length === 0) return;
  const meta = m.connection.getMetadata(target);
  const driver = m.connection.driver;
  const defined = (c: ColumnMetadata, row: T) => c.getEntityValue(row) !== undefined;
  const columns = meta.columns.filter((c) => c.isInsert && !c.isVirtual && defined(c, rows[0]));
  for (const row of rows) {
    for (const c of meta.columns) {
      if (c.isInsert && !c.isVirtual && defined(c, row) !== columns.includes(c)) {
        throw new Error(`insertMany(${meta.tableName}): every row must set the same columns (${c.propertyPath} differs)`);
      }
    }
  }
  const pg = driver.options.type === 'postgres';
  // tablePath is "schema.table" when the data source names a schema (each PostgreSQL e2e file has its own).
  const table = meta.tablePath
    .split('.')
    .map((part) => driver.escape(part))
    .join('.');
  const head = `INSERT INTO ${table} (${columns.map((c) => driver.escape(c.databaseName)).join(', ')}) VALUES `;
  const perStatement = Math.max(1, Math.min(MAX_ROWS, Math.floor(MAX_PARAMETERS / Math.max(1, columns.length))));
  for (let i = 0; i < rows.length; i += perStatement) {
    const chunk = rows.slice(i, i + perStatement);
    const params: unknown[] = [];
    const tuples: string[] = [];
    for (const row of chunk) {
      const marks: string[] = [];
      for (const c of columns) {
        params.push(driver.preparePersistentValue(c.getEntityValue(row, true), c));
        marks.push(pg ? `$${params.length}` : '?');
      }
      tuples.push(`(${marks.join(', ')})`);
    }
    await m.query(head + tuples.join(', '), params);
  }
}
