import { MigrationInterface, QueryRunner, Table, TableColumnOptions } from 'typeorm';
import { columnTypes } from '../columns';

/** Results (provisional at publication, final at finalization) and appeals (issue 5). */
export class Results1764600000000 implements MigrationInterface {
  name = 'Results1764600000000';

  async up(q: QueryRunner): Promise<void> {
    const t = columnTypes(q.connection.options.type === 'postgres' ? 'postgres' : 'sqlite');
    const ref = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: '36', isNullable: nullable });
    const pk = (name = 'id'): TableColumnOptions => ({ ...ref(name), isPrimary: true });
    const str = (name: string, length: number, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable: nullable });
    const int = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'integer', isNullable: nullable });
    const bool = (name: string): TableColumnOptions => ({ name, type: 'boolean', default: t.false });
    const time = (name: string, nullable = false): TableColumnOptions => ({ name, type: t.timestamp, isNullable: nullable });
    const created: TableColumnOptions = { name: 'created_at', type: t.timestamp, default: t.now };
    const updated: TableColumnOptions = { name: 'updated_at', type: t.timestamp, default: t.now };

    await q.createTable(
      new Table({
        name: 'results',
        columns: [
          pk(),
          ref('competition_id'),
          ref('enrolment_id'),
          ref('worker_id'),
          int('rank', true),
          int('total'),
          { name: 'sections', type: t.json },
          int('penalties'),
          bool('complete'),
          bool('final'),
          time('computed_at'),
          time('finalized_at', true),
          created,
          updated,
        ],
        indices: [{ columnNames: ['competition_id', 'enrolment_id'], isUnique: true }, { columnNames: ['worker_id'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'appeals',
        columns: [
          pk(),
          ref('competition_id'),
          ref('enrolment_id'),
          ref('worker_id'),
          ref('filed_by'),
          str('reason', 1000),
          str('status', 16),
          str('resolution', 1000, true),
          ref('decided_by', true),
          time('decided_at', true),
          ref('open_enrolment_id', true),
          created,
          updated,
        ],
        indices: [{ columnNames: ['competition_id', 'status'] }, { columnNames: ['enrolment_id'] }, { columnNames: ['open_enrolment_id'], isUnique: true }],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['appeals', 'results']) await q.dropTable(table);
  }
}
